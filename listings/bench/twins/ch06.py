"""Chapter 6's twin: one Adam step (lr 1e-3) of the VAE (784-128 ReLU, a
16-number Gaussian code, 16-128-784 decoder) on 100 binary images: Bernoulli
cross-entropy summed over pixels plus the KL term, one sample of z:
listings/ch06_autoencoders (train::vae_loss)."""

import torch
from torch import nn

PIXELS, HIDDEN, LATENT, BATCH = 784, 128, 16, 100


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(PIXELS, HIDDEN)
        self.mean, self.log_var = nn.Linear(HIDDEN, LATENT), nn.Linear(HIDDEN, LATENT)
        self.decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, PIXELS))


def make_step():
    vae = Vae()
    adam = torch.optim.Adam(vae.parameters(), lr=1e-3)
    x = (torch.arange(BATCH * PIXELS) % 3 == 0).float().reshape(BATCH, PIXELS)
    bce = nn.functional.binary_cross_entropy_with_logits

    def step():
        h = torch.relu(vae.hidden(x))
        mean, log_var = vae.mean(h), vae.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn(BATCH, LATENT)
        reconstruction = bce(vae.decoder(z), x) * PIXELS
        kl = (0.5 * (mean ** 2 + log_var.exp() - log_var - 1.0)).sum(1).mean()
        loss = reconstruction + kl
        reconstruction.item(), kl.item()
        adam.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()

    return step
