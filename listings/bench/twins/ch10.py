"""Chapter 10's twin: one Adam step (lr 1e-2) of rank-4 LoRA on the
64-128-128-5 MLP: both hidden layers frozen, each with an adapter
W x + b + (alpha / r) B A x (alpha 16), the head trained, on 32 digits:
listings/ch10_lora (adapt::train)."""

import torch
from torch import nn

from harness import descend

RANK, ALPHA = 4, 16.0


class LoraLinear(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.a = nn.Parameter(torch.empty(RANK, base.in_features).uniform_(-1, 1) / base.in_features ** 0.5)
        self.b = nn.Parameter(torch.zeros(base.out_features, RANK))
        self.scale = ALPHA / RANK

    def forward(self, x):
        return self.base(x) + (x @ self.a.T) @ self.b.T * self.scale


def make_step():
    model = nn.Sequential(
        LoraLinear(nn.Linear(64, 128)), nn.ReLU(), LoraLinear(nn.Linear(128, 128)), nn.ReLU(), nn.Linear(128, 5),
    )
    adam = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    images = torch.rand(32, 64)
    labels = torch.softmax(torch.randn(32, 5), dim=1)

    def step():
        loss = nn.functional.cross_entropy(model(images), labels)
        descend(loss, adam)

    return step
