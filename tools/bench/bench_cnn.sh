#!/bin/sh
# bench_cnn.sh - the CNN targets of issue 6 in one run, so ratios compare like with like on a
# shared machine: training and inference images/s of `--arch small` against PyTorch on the CPU
# (same net, batch 64, Adam, same threads, same images), with OMP_WAIT_POLICY=PASSIVE as well;
# kNN of 70,000 x 128 embeddings (default and PASSIVE wait policy); with EPOCH=1, one full
# 60,000-image epoch of best and of small (the epoch-time target: <= 30 s on 2 cores); and, with
# FULL=1, Fashion-MNIST accuracy and epoch times of the best and seed architectures (10 epochs
# each; long).
#
# usage: tools/bench/bench_cnn.sh [BUILD_DIR] [THREADS] [N_TRAIN]
#   defaults: build-cnn, 2, 6400
# On a shared machine wrap it in `flock /tmp/portrait-bench.lock`.
# Needs Debian dataset-fashion-mnist, and python3-torch for the comparison (tools/setup.sh --bench).
set -eu
B=${1:-build-cnn}
T=${2:-2}
N=${3:-6400}
F=/usr/share/datasets/fashion-mnist
HERE=$(dirname "$0")
echo "# $(date -u +%FT%TZ) load: $(uptime | sed 's/.*load average: //')"
for policy in default PASSIVE; do
  if [ "$policy" = PASSIVE ]; then export OMP_WAIT_POLICY=PASSIVE; fi
  echo "## OMP_WAIT_POLICY=$policy, $T threads, $N training images, batch 64"
  "$B/tools/bench/bench_cnn" --data "$F" --n "$N" --threads "$T" --knn 0
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    /usr/bin/python3 "$HERE/bench_cnn_torch.py" "$F" "$N" "$T" 2>/dev/null
  else
    echo "torch: python3-torch not installed, skipped"
  fi
done
unset OMP_WAIT_POLICY
echo "## kNN"
"$B/tools/bench/bench_cnn" --n 0 --knn 70000 --dim 128 --k 10 --threads "$T"
OMP_WAIT_POLICY=PASSIVE "$B/tools/bench/bench_cnn" --n 0 --knn 70000 --dim 128 --k 10 \
  --threads "$T" | sed 's/$/ (OMP_WAIT_POLICY=PASSIVE)/'
if [ "${EPOCH:-0}" = 1 ]; then
  for arch in best small; do
    echo "## one epoch: --arch $arch, 60000 images, $T threads ($(uptime | sed 's/.*load average: //'))"
    "$B/portrait" cnn train --arch "$arch" --epochs 1 --threads "$T" \
      --train-images $F/train-images-idx3-ubyte.gz --train-labels $F/train-labels-idx1-ubyte.gz \
      --model "${TMPDIR:-/tmp}/bench_cnn_epoch_$arch.model" 2>&1 >/dev/null | grep epoch
  done
fi
if [ "${FULL:-0}" = 1 ]; then
  for arch in best seed; do
    echo "## accuracy: --arch $arch, 10 epochs, $T threads"
    "$B/portrait" cnn train --arch "$arch" --epochs 10 --threads "$T" \
      --train-images $F/train-images-idx3-ubyte.gz --train-labels $F/train-labels-idx1-ubyte.gz \
      --test-images $F/t10k-images-idx3-ubyte.gz --test-labels $F/t10k-labels-idx1-ubyte.gz \
      --model "${TMPDIR:-/tmp}/bench_cnn_$arch.model" 2>&1 >/dev/null | grep epoch
  done
fi
echo "# end load: $(uptime | sed 's/.*load average: //')"
