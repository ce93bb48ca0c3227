"""Chapter 8's twin: one Adam step (lr 2e-3) of the pixel-space noise
predictor on 128 digits of 14x14 pixels in [-1, 1]: draw t and the noise,
form x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps under the linear schedule
(beta from 1e-4 to 0.02 over 1,000 steps), append the 32-wide sinusoidal
time code, predict eps with three ReLU layers of 256 plus a linear skip from
input to output, and regress with the mean squared error:
listings/ch08_diffusion (model::train_step)."""

import torch
from torch import nn

from harness import descend

STEPS, EMBED, PIXELS, HIDDEN, BATCH = 1000, 32, 196, 256, 128


class EpsMlp(nn.Module):
    def __init__(self):
        super().__init__()
        width = PIXELS + EMBED
        self.mlp = nn.Sequential(
            nn.Linear(width, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, PIXELS),
        )
        self.skip = nn.Linear(width, PIXELS)

    def forward(self, x):
        return self.mlp(x) + self.skip(x)


def time_embedding(t):
    k = torch.arange(EMBED // 2, dtype=torch.float64)
    angle = t.double()[:, None] * 10000.0 ** (-k / (EMBED // 2))[None, :]
    return torch.cat([angle.sin(), angle.cos()], dim=1).float()


def make_step():
    beta = torch.linspace(1e-4, 0.02, STEPS, dtype=torch.float64)
    alpha_bar = torch.cumprod(1.0 - beta, 0).float()
    model = EpsMlp()
    adam = torch.optim.Adam(model.parameters(), lr=2e-3)
    digits = torch.rand(BATCH, PIXELS) * 2.0 - 1.0

    def step():
        t = torch.randint(1, STEPS + 1, (BATCH,))
        eps = torch.randn(BATCH, PIXELS)
        ab = alpha_bar[t - 1][:, None]
        x_t = ab.sqrt() * digits + (1.0 - ab).sqrt() * eps
        predicted = model(torch.cat([x_t, time_embedding(t)], dim=1))
        loss = nn.functional.mse_loss(predicted, eps)
        descend(loss, adam)

    return step
