"""Chapter 5's twin: one teacher-forced Adam step of the sequence reverser.

A pre-LayerNorm encoder block and decoder block (d_model 32, 4 heads, MLP 64),
sinusoidal positions, a causal mask, 64 sequences of 10 digits, mean
cross-entropy against one-hot targets, Adam (lr 1e-3): listings/ch05_attention.
"""

import math

import torch
from torch import nn

from harness import descend

VOCAB, SEQ_LEN, D_MODEL, HEADS, D_FF, BATCH = 10, 10, 32, 4, 64, 64
BOS = VOCAB


def sinusoidal(t, dm):
    pe = torch.zeros(t, dm)
    for pos in range(t):
        for j in range(dm):
            angle = pos / 10_000 ** ((j - j % 2) / dm)
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.w_q, self.w_k, self.w_v, self.w_o = (
            nn.Linear(D_MODEL, D_MODEL) for _ in range(4)
        )

    def split(self, x):
        b, t, _ = x.shape
        return x.reshape(b, t, HEADS, D_MODEL // HEADS).permute(0, 2, 1, 3)

    def forward(self, x_q, x_kv, mask=None):
        q, k, v = self.split(self.w_q(x_q)), self.split(self.w_k(x_kv)), self.split(self.w_v(x_kv))
        scores = q @ k.transpose(2, 3) / math.sqrt(D_MODEL // HEADS)
        if mask is not None:
            scores = scores + mask
        heads = scores.softmax(dim=3) @ v
        b, _, t, _ = heads.shape
        return self.w_o(heads.permute(0, 2, 1, 3).reshape(b, t, D_MODEL))


def mlp():
    return nn.Sequential(nn.Linear(D_MODEL, D_FF), nn.ReLU(), nn.Linear(D_FF, D_MODEL))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm_attention, self.attention = nn.LayerNorm(D_MODEL), Attention()
        self.norm_mlp, self.mlp = nn.LayerNorm(D_MODEL), mlp()

    def forward(self, x):
        normed = self.norm_attention(x)
        x = x + self.attention(normed, normed)
        return x + self.mlp(self.norm_mlp(x))


class DecoderBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm_self, self.self_attention = nn.LayerNorm(D_MODEL), Attention()
        self.norm_cross, self.cross_attention = nn.LayerNorm(D_MODEL), Attention()
        self.norm_mlp, self.mlp = nn.LayerNorm(D_MODEL), mlp()

    def forward(self, y, memory, mask):
        normed = self.norm_self(y)
        y = y + self.self_attention(normed, normed, mask)
        y = y + self.cross_attention(self.norm_cross(y), memory)
        return y + self.mlp(self.norm_mlp(y))


class Reverser(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder_embedding = nn.Embedding(VOCAB, D_MODEL)
        self.encoder, self.encoder_norm = Block(), nn.LayerNorm(D_MODEL)
        self.decoder_embedding = nn.Embedding(VOCAB + 1, D_MODEL)
        self.decoder, self.norm = DecoderBlock(), nn.LayerNorm(D_MODEL)
        self.readout = nn.Linear(D_MODEL, VOCAB)
        self.register_buffer("positions", sinusoidal(SEQ_LEN, D_MODEL))
        future = torch.ones(SEQ_LEN, SEQ_LEN, dtype=torch.bool).triu(1)
        self.register_buffer("mask", torch.zeros(SEQ_LEN, SEQ_LEN).masked_fill(future, -math.inf))

    def forward(self, source, inputs):
        memory = self.encoder_norm(self.encoder(self.encoder_embedding(source) + self.positions))
        y = self.decoder(self.decoder_embedding(inputs) + self.positions, memory, self.mask)
        return self.readout(self.norm(y))


def make_step():
    model = Reverser()
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    source = torch.randint(0, VOCAB, (BATCH, SEQ_LEN))
    targets = source.flip(1)
    inputs = torch.cat([torch.full((BATCH, 1), BOS), targets[:, :-1]], dim=1)
    one_hot = nn.functional.one_hot(targets, VOCAB).float()

    def step():
        logits = model(source, inputs)
        loss = -(one_hot * logits.log_softmax(dim=2)).sum(dim=2).mean()
        descend(loss, adam)

    return step
