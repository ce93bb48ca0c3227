"""Chapter 7's twin: one step of the digit GAN on 64 images, the
discriminator's Adam step then the generator's (lr 2e-4, betas 0.5, 0.999),
one-sided label smoothing, the non-saturating generator loss:
listings/ch07_gans (digits::train_gan)."""

import torch
from torch import nn

from harness import descend

LATENT, HIDDEN, PIXELS, BATCH = 64, 256, 784, 64


def make_step():
    g = nn.Sequential(
        nn.Linear(LATENT, HIDDEN), nn.LeakyReLU(0.01), nn.Linear(HIDDEN, HIDDEN), nn.LeakyReLU(0.01),
        nn.Linear(HIDDEN, PIXELS), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Linear(PIXELS, HIDDEN), nn.LeakyReLU(0.01), nn.Linear(HIDDEN, HIDDEN), nn.LeakyReLU(0.01),
        nn.Linear(HIDDEN, 1),
    )
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.functional.binary_cross_entropy_with_logits
    real = torch.rand(BATCH, PIXELS) * 2 - 1
    ones, zeros, smooth = torch.ones(BATCH, 1), torch.zeros(BATCH, 1), torch.full((BATCH, 1), 0.9)

    def step():
        with torch.no_grad():
            fake = g(torch.randn(BATCH, LATENT))
        d_loss = bce(d(real), smooth) + bce(d(fake), zeros)
        descend(d_loss, d_opt)
        g_loss = bce(d(g(torch.randn(BATCH, LATENT))), ones)
        descend(g_loss, g_opt)

    return step
