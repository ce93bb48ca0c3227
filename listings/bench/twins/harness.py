"""Runs one chapter's PyTorch twin for `cargo run --release -p bench -- chapters`.

    python3 harness.py --chapter ch05 --threads 2 --warmup 5

Imports `<chapter>.py` from this directory, whose `make_step()` builds the
chapter's model, batch and optimizer and returns a function doing one training
step. After `--warmup` untimed steps it prints `{"ready": true, "torch": ...}`;
then, for every line `n` on standard input, it runs `n` steps and prints their
wall times in milliseconds as `{"ms": [...]}`. It stops at the end of input.
"""

import argparse
import importlib
import json
import sys
import time

import torch


def descend(loss, optimizer):
    """The end of every twin's step, as on the Rust side: read the loss
    (which waits for it), backpropagate, and let `optimizer` update."""
    loss.item()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chapter", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    step = importlib.import_module(args.chapter).make_step()
    for _ in range(args.warmup):
        step()
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1e3)
        print(json.dumps({"ms": times}), flush=True)


if __name__ == "__main__":
    main()
