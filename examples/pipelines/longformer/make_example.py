"""Writes this example's weights, inputs and PyTorch's expected output.

Document embedding with a global [CLS] token: x [2, 40, 16] -> one encoder
layer whose self-attention is Hugging Face's LongformerSelfAttention (window 8,
token 0 global) followed by an output projection -> cls pooling -> [2, 16].
The reference is torch.nn.TransformerEncoderLayer itself with its self-attention
block swapped: sa(x) = out_proj(LongformerSelfAttention(x)) (weights
encoder.self_attn.query.weight, ..., encoder.self_attn.out_proj.weight,
encoder.linear1.weight, ...). The length 40 is a window multiple, as the
layer itself needs (Loom pads to one internally).

Regenerate (identical bytes each time): /work/venv/bin/python make_example.py
Pinned: torch 2.15.0, transformers 5.24.0, safetensors 0.8.0, numpy 2.4.6; fixed seed, CPU, float32.
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import LongformerConfig
from transformers.models.longformer.modeling_longformer import LongformerSelfAttention

HERE = os.path.dirname(os.path.abspath(__file__))
WINDOW = 8


class LongformerBlock(LongformerSelfAttention):
    def __init__(self):
        cfg = LongformerConfig(hidden_size=16, num_attention_heads=2, attention_window=[WINDOW],
                               attention_probs_dropout_prob=0.0)
        super().__init__(cfg, layer_id=0)
        self.out_proj = torch.nn.Linear(16, 16)


class LongformerEncoderLayer(torch.nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer (batch_first) with sa(x) = out_proj(LongformerSelfAttention(x))."""

    def __init__(self):
        super().__init__(16, 2, 32, dropout=0.0, batch_first=True)
        self.self_attn = LongformerBlock()
        self.global_mask = None

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        # The layer's own mask encoding: < 0 padding, 0 local, > 0 global.
        mask = self.global_mask.to(x.dtype) * 10000.0
        out = self.self_attn(x, attention_mask=mask, is_index_masked=mask < 0, is_index_global_attn=mask > 0,
                             is_global_attn=bool((mask > 0).any()))[0]
        return self.self_attn.out_proj(out)


def main():
    torch.backends.mha.set_fastpath_enabled(False)  # the fused path needs nn.MultiheadAttention
    torch.manual_seed(8)
    layer = LongformerEncoderLayer().eval()
    x = torch.randn(2, 40, 16)
    globals_ = torch.zeros(2, 40, dtype=torch.int64)
    globals_[:, 0] = 1  # [CLS]
    layer.global_mask = globals_
    with torch.no_grad():
        pooled = layer(x)[:, 0]
    weights = {"encoder." + k: v.detach().contiguous() for k, v in layer.state_dict().items()}
    save_file(weights, os.path.join(HERE, "weights.safetensors"))
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "globals.npy"), globals_.numpy())
    np.save(os.path.join(HERE, "expected.npy"), pooled.numpy())


if __name__ == "__main__":
    main()
