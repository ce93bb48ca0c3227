"""Chapter 1's twin: one SGD step (lr 0.5) of the 2-16-16-1 tanh MLP on 32
points, mean squared error of the sigmoid output: listings/ch01_fundamentals."""

import torch
from torch import nn

from harness import descend


def make_step():
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    sgd = torch.optim.SGD(model.parameters(), lr=0.5)
    points = torch.randn(32, 2)
    labels = (torch.rand(32, 1) > 0.5).float()

    def step():
        loss = ((torch.sigmoid(model(points)) - labels) ** 2).mean()
        descend(loss, sgd)

    return step
