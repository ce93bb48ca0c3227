"""Chapter 9's twin: one Adam step (lr 3e-3) of the shape classifier (conv
1-8, pool, conv 8-16, conv 16-16, all 3x3 ReLU, global average pooling, a
linear head over 4 classes) on 32 canvases of 32x32:
listings/ch09_explainability (model::train)."""

import torch
from torch import nn

from harness import descend


def make_step():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4),
    )
    adam = torch.optim.Adam(model.parameters(), lr=3e-3)
    images = torch.rand(32, 1, 32, 32)
    labels = torch.softmax(torch.randn(32, 4), dim=1)

    def step():
        loss = nn.functional.cross_entropy(model(images), labels)
        descend(loss, adam)

    return step
