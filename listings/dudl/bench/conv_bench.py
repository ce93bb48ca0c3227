"""PyTorch reference for `cargo run --release -p dudl -- conv`.

Times the same three things as the Rust binary, on the CPU, with the thread count it passes:
- conv_fwd:     Conv2d(16, 32, 3, padding=1) on a 64x16x28x28 batch
- conv_fwd_bwd: the same, then backward of y.sum() (input, weight and bias gradients)
- cnn_step:     one Adam step of conv 16 -> pool -> conv 32 -> pool -> linear 10 on 64x1x28x28
Prints one line per benchmark: `<name> <median ms> <min ms>`.
"""

import argparse
import statistics
import time

import torch
from torch import nn


def median_ms(step, warmup, reps):
    """The median and the minimum wall time of `reps` calls of `step`, in ms."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def conv_benchmarks(warmup, reps):
    conv = nn.Conv2d(16, 32, 3, padding=1)
    x = torch.randn(64, 16, 28, 28)
    x_grad = x.clone().requires_grad_(True)

    def forward():
        with torch.no_grad():
            conv(x)

    def forward_backward():
        conv.zero_grad(set_to_none=True)
        x_grad.grad = None
        conv(x_grad).sum().backward()

    return median_ms(forward, warmup, reps), median_ms(forward_backward, warmup, reps)


def cnn_step_benchmark(warmup, reps):
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )
    images = torch.randn(64, 1, 28, 28)
    labels = torch.softmax(torch.randn(64, 10), dim=1)
    adam = torch.optim.Adam(model.parameters())

    def step():
        adam.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(images), labels).backward()
        adam.step()

    return median_ms(step, warmup, reps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reps", type=int, default=31)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    fwd, fwd_bwd = conv_benchmarks(args.warmup, args.reps)
    step = cnn_step_benchmark(args.warmup, args.reps)
    for name, (median, minimum) in [("conv_fwd", fwd), ("conv_fwd_bwd", fwd_bwd), ("cnn_step", step)]:
        print(f"{name} {median:.4f} {minimum:.4f}")


if __name__ == "__main__":
    main()
