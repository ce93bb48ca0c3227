"""Chapter 2's twin: one Adam step (lr 1e-3) of the 64-32-32-10 ReLU MLP on 32
8x8 digits, mean cross-entropy: listings/ch02_optimization (task::train)."""

import torch
from torch import nn

from harness import descend


def make_step():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.rand(32, 64)
    labels = nn.functional.one_hot(torch.randint(0, 10, (32,)), 10).float()

    def step():
        loss = nn.functional.cross_entropy(model(images), labels)
        descend(loss, adam)

    return step
