"""Writes the swiglu example pipeline's weights, input and PyTorch's expected output.

The reference is a plain torch module written from the definition
y = W2 (silu(W1 x) * W3 x) (LLaMA's feed-forward block), with three nn.Linear
members named w1, w2, w3 so that state_dict() gives the plugin's weight names.

Regenerate (identical bytes each time): /work/venv/bin/python make_pipeline.py
Pinned: torch 2.15.0, safetensors 0.8.0, numpy 2.4.6; fixed seed, CPU, float32.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pipeline")


class SwiGLU(torch.nn.Module):
    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.w1 = torch.nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = torch.nn.Linear(hidden_dim, dim, bias=False)
        self.w3 = torch.nn.Linear(dim, hidden_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def prefixed(prefix, module):
    return {prefix + k: v.detach().contiguous() for k, v in module.state_dict().items()}


def main():
    torch.manual_seed(11)
    norm = torch.nn.LayerNorm(16)
    with torch.no_grad():  # non-trivial affine parameters
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    ffn = SwiGLU(16, 40)
    x = torch.randn(3, 5, 16)
    with torch.no_grad():
        y = ffn(norm(x)).mean(dim=1)
    os.makedirs(HERE, exist_ok=True)
    save_file({**prefixed("norm.", norm), **prefixed("ffn.", ffn)}, os.path.join(HERE, "weights.safetensors"))
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
