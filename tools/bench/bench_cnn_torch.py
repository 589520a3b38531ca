#!/usr/bin/python3
"""bench_cnn_torch.py - the PyTorch side of the CNN throughput comparison (issue 6).

Trains the `--arch small` network of `portrait cnn` (conv 3x3 32, no padding - ReLU - max-pool 2 -
conv 3x3 64 - ReLU - max-pool 2 - dense 128 - ReLU - dense 10; Adam 1e-3; batch 64) on the first
N Fashion-MNIST training images and times inference on the test images, on the CPU with the
given number of threads. Prints one line per measurement in the same format as bench_cnn:

    torch train_images_per_s 1234.5 (N images, T threads, loss L)
    torch infer_images_per_s 5678.9 (M images, T threads, batch B)

Usage: bench_cnn_torch.py DATA_DIR N THREADS [EPOCHS] [INFER_BATCH]
Needs Debian's python3-torch and python3-numpy (tools/setup.sh --bench).
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    """Read an IDX file (gzip or plain) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def small_net():
    """The --arch small network, exactly."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    d = sys.argv[1]
    n = int(sys.argv[2])
    threads = int(sys.argv[3])
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    infer_batch = int(sys.argv[5]) if len(sys.argv) > 5 else 256
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = read_idx(d + "/train-images-idx3-ubyte.gz")[:n].astype(np.float32) / 255.0
    y = read_idx(d + "/train-labels-idx1-ubyte.gz")[:n].astype(np.int64)
    mean, std = x.mean(), x.std()
    x = torch.from_numpy((x - mean) / std).unsqueeze(1)
    y = torch.from_numpy(y)
    net = small_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    t0 = time.perf_counter()
    c0 = time.process_time()
    total = 0.0
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        total = 0.0
        for b in range(0, n, 64):
            idx = perm[b:b + 64]
            opt.zero_grad()
            loss = lossf(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    print("torch train_images_per_s %.1f (%d images, %d threads, loss %.4f, %.1f s wall, %.1f s cpu)"
          % (n * epochs / dt, n * epochs, threads, total / n, dt, dc))
    xt = read_idx(d + "/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    xt = torch.from_numpy((xt - mean) / std).unsqueeze(1)
    net.eval()
    with torch.no_grad():
        t0 = time.perf_counter()
        c0 = time.process_time()
        for b in range(0, len(xt), infer_batch):
            net(xt[b:b + infer_batch])
        dt = time.perf_counter() - t0
        dc = time.process_time() - c0
    print("torch infer_images_per_s %.1f (%d images, %d threads, batch %d, %.1f s cpu)"
          % (len(xt) / dt, len(xt), threads, infer_batch, dc))


if __name__ == "__main__":
    main()
