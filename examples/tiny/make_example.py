"""Writes the tiny example that scripts/quickstart.sh runs: one nn.Linear(8, 4)
with its state_dict as safetensors, an input batch, and torch's output.

Regenerate: python make_example.py  (torch 2.15.0, safetensors 0.8.0, numpy 2.4.6)
"""
import numpy as np
import torch
from safetensors.torch import save_file

torch.manual_seed(0)
layer = torch.nn.Linear(8, 4)
x = torch.randn(2, 3, 8)
with torch.no_grad():
    y = layer(x)
save_file(layer.state_dict(), "weights.safetensors")
np.save("input.npy", x.numpy())
np.save("expected.npy", y.numpy())
