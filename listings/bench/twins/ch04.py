"""Chapter 4's twin: one Adam step (lr 1e-2) of the hand-written LSTM cell
(16 units, each gate W x + U h + b) and its linear read-out on 32
adding-problem sequences of length 50, backpropagated through time, with the
gradient norm taken as the chapter logs it: listings/ch04_rnn (train_step)."""

import torch
from torch import nn

INPUTS, HIDDEN, LEN, BATCH = 2, 16, 50, 32


class Affine(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Linear(INPUTS, HIDDEN)
        self.u = nn.Linear(HIDDEN, HIDDEN, bias=False)

    def forward(self, x, h):
        return self.u(h) + self.w(x)


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.input, self.forget, self.candidate, self.output = (Affine() for _ in range(4))
        self.readout = nn.Linear(HIDDEN, 1)

    def forward(self, xs):
        h = c = torch.zeros(BATCH, HIDDEN)
        for x in xs:
            i = torch.sigmoid(self.input(x, h))
            f = torch.sigmoid(self.forget(x, h))
            g = torch.tanh(self.candidate(x, h))
            o = torch.sigmoid(self.output(x, h))
            c = f * c + i * g
            h = o * torch.tanh(c)
        return self.readout(h)


def sample():
    values = torch.rand(LEN, BATCH)
    marks = torch.zeros(LEN, BATCH)
    first = torch.randint(0, LEN // 2, (BATCH,))
    second = torch.randint(LEN // 2, LEN, (BATCH,))
    marks[first, torch.arange(BATCH)] = 1.0
    marks[second, torch.arange(BATCH)] = 1.0
    targets = (values * marks).sum(0).unsqueeze(1)
    return list(torch.stack([values, marks], dim=2)), targets


def make_step():
    model = Lstm()
    adam = torch.optim.Adam(model.parameters(), lr=1e-2)

    def step():
        xs, targets = sample()
        loss = ((model(xs) - targets) ** 2).mean()
        loss.item()
        adam.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        norm.item()
        adam.step()

    return step
