"""Writes this example's weights, input and PyTorch's expected output.

Sentence embedding over long inputs: x [3, 32, 16] -> one encoder layer whose
self-attention is the linformer package's LinformerSelfAttention (seq_len 32,
k 8) -> mean pooling -> [3, 16]. The reference is torch.nn.TransformerEncoderLayer
itself with its self-attention block swapped (weights encoder.self_attn.to_q.weight,
..., encoder.linear1.weight, encoder.norm1.weight, ...).

Regenerate (identical bytes each time): /work/venv/bin/python make_example.py
Pinned: torch 2.15.0, linformer 0.2.3, safetensors 0.8.0, numpy 2.4.6; fixed seed, CPU, float32.
"""
import os

import numpy as np
import torch
from linformer import LinformerSelfAttention
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


class LinformerEncoderLayer(torch.nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer (batch_first) with sa(x) = LinformerSelfAttention(x)."""

    def __init__(self):
        super().__init__(16, 2, 32, dropout=0.0, batch_first=True)
        self.self_attn = LinformerSelfAttention(16, 32, k=8, heads=2)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        return self.self_attn(x)


def main():
    torch.backends.mha.set_fastpath_enabled(False)  # the fused path needs nn.MultiheadAttention
    torch.manual_seed(7)
    layer = LinformerEncoderLayer().eval()
    x = torch.randn(3, 32, 16)
    with torch.no_grad():
        pooled = layer(x).mean(dim=1)
    weights = {"encoder." + k: v.detach().contiguous() for k, v in layer.state_dict().items()}
    save_file(weights, os.path.join(HERE, "weights.safetensors"))
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "expected.npy"), pooled.numpy())


if __name__ == "__main__":
    main()
