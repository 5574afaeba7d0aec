"""Writes the example pipelines' weights, inputs and PyTorch's expected outputs.

Regenerate (identical bytes each time): /work/venv/bin/python make_examples.py
Pinned: torch 2.15.0, safetensors 0.8.0, numpy 2.4.6; fixed seeds, CPU, float32.
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def prefixed(prefix, module):
    return {prefix + k: v.detach().contiguous() for k, v in module.state_dict().items()}


def masked_mean(h, mask):
    m = mask.unsqueeze(-1)
    return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)


def recurrent_encoder():
    """embedding(20, 8) -> lstm(8 -> 6, batch_first) -> mean pooling over real tokens: ids [3, 5] -> [3, 6]."""
    torch.manual_seed(1)
    emb = torch.nn.Embedding(20, 8)
    lstm = torch.nn.LSTM(8, 6, batch_first=True)
    ids = torch.randint(0, 20, (3, 5), dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=torch.float32)
    with torch.no_grad():
        out, _ = lstm(emb(ids))
        pooled = masked_mean(out, mask)
    d = os.path.join(HERE, "recurrent_encoder")
    os.makedirs(d, exist_ok=True)
    save_file({**prefixed("embedding.", emb), **prefixed("encoder.", lstm)}, os.path.join(d, "weights.safetensors"))
    np.save(os.path.join(d, "input.npy"), ids.numpy())
    np.save(os.path.join(d, "mask.npy"), mask.numpy())
    np.save(os.path.join(d, "expected.npy"), pooled.numpy())


def attention():
    """linear(8 -> 8) -> multi-head self-attention (2 heads, batch_first) -> max pooling -> L2 normalize:
    x [2, 4, 8] -> [2, 8]."""
    torch.manual_seed(2)
    proj = torch.nn.Linear(8, 8)
    attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    attn.eval()
    x = torch.randn(2, 4, 8)
    with torch.no_grad():
        h = proj(x)
        out, weights = attn(h, h, h, need_weights=True, average_attn_weights=False)
        emb = torch.nn.functional.normalize(out.max(dim=1).values, p=2, dim=-1)
    d = os.path.join(HERE, "attention")
    os.makedirs(d, exist_ok=True)
    save_file({**prefixed("proj.", proj), **prefixed("attn.", attn)}, os.path.join(d, "weights.safetensors"))
    np.save(os.path.join(d, "input.npy"), x.numpy())
    np.save(os.path.join(d, "expected.npy"), emb.numpy())
    np.save(os.path.join(d, "expected_attention.npy"), weights.numpy())


def classifier():
    """embedding(20, 8) -> gru(8 -> 8, batch_first) -> cls pooling (step 0) -> classifier(8 -> 3) with softmax."""
    torch.manual_seed(3)
    emb = torch.nn.Embedding(20, 8)
    gru = torch.nn.GRU(8, 8, batch_first=True)
    head = torch.nn.Linear(8, 3)
    ids = torch.randint(0, 20, (4, 6), dtype=torch.int64)
    with torch.no_grad():
        out, _ = gru(emb(ids))
        probs = torch.softmax(head(out[:, 0]), dim=-1)
    d = os.path.join(HERE, "classifier")
    os.makedirs(d, exist_ok=True)
    save_file({**prefixed("embedding.", emb), **prefixed("encoder.", gru), **prefixed("head.", head)},
              os.path.join(d, "weights.safetensors"))
    np.save(os.path.join(d, "input.npy"), ids.numpy())
    np.save(os.path.join(d, "expected.npy"), probs.numpy())


if __name__ == "__main__":
    recurrent_encoder()
    attention()
    classifier()
