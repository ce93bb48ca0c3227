"""Chapter 3's twin: one Adam step (lr 1e-3) of LeNet (ReLU, max pooling) on 32
28x28 digits, mean cross-entropy: listings/ch03_cnn (train::train_step)."""

import torch
from torch import nn

from harness import descend


def make_step():
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.rand(32, 1, 28, 28)
    labels = torch.softmax(torch.randn(32, 10), dim=1)

    def step():
        loss = nn.functional.cross_entropy(model(images), labels)
        descend(loss, adam)

    return step
