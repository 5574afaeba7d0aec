"""Writes the fast_linear example pipeline's weights, input and PyTorch's expected output:
nn.Linear(32, 64) -> nn.GELU() -> nn.Linear(64, 16) on x [8, 32].

Regenerate (identical bytes each time): /work/venv/bin/python make_pipeline.py
Pinned: torch 2.15.0, safetensors 0.8.0, numpy 2.4.6; fixed seed, CPU, float32.
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pipeline")


def prefixed(prefix, module):
    return {prefix + k: v.detach().contiguous() for k, v in module.state_dict().items()}


def main():
    torch.manual_seed(12)
    fc1, fc2 = torch.nn.Linear(32, 64), torch.nn.Linear(64, 16)
    x = torch.randn(8, 32)
    with torch.no_grad():
        y = fc2(torch.nn.functional.gelu(fc1(x)))
    os.makedirs(HERE, exist_ok=True)
    save_file({**prefixed("fc1.", fc1), **prefixed("fc2.", fc2)}, os.path.join(HERE, "weights.safetensors"))
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
