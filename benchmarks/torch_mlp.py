"""PyTorch's single-model training speed on the issue's reference MLP, for benchmarks/vectorised.ts to quote beside
its own numbers (same machine, same run). One thread. Prints one JSON line.

    /usr/bin/python3 benchmarks/torch_mlp.py --epochs 10

64-64-64-10 MLP with ReLU, 2000x64 uniform random inputs, 10 random classes, batch 32 (the last partial batch
dropped, as evotune does), Adam lr 1e-3, a new shuffle each epoch; the classic loop (zero_grad, forward,
cross-entropy, backward, step). Rates are per CPU-second of this process and per wall-clock second.
"""
import argparse
import json
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--warmup-epochs', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows, batch = 2000, 32
    x = torch.rand(rows, 64)
    y = torch.randint(0, 10, (rows,))
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    steps_per_epoch = rows // batch

    def epochs(n: int) -> int:
        for _ in range(n):
            order = torch.randperm(rows)
            for s in range(steps_per_epoch):
                idx = order[s * batch:(s + 1) * batch]
                opt.zero_grad()
                loss = loss_fn(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
        return n * steps_per_epoch

    epochs(args.warmup_epochs)
    c0, w0 = time.process_time(), time.perf_counter()
    steps = epochs(args.epochs)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'steps': steps,
                      'perCpuSec': steps / cpu, 'perWallSec': steps / wall}))


if __name__ == '__main__':
    main()
