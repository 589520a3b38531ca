#!/bin/sh
# setup.sh - install what Portrait needs from Debian 12 (only the packages that are missing, so
# it is idempotent and quick the second time), then configure and build into ./build.
# Run as root on a fresh machine. Options: BUILD_DIR (default build), CMAKE_ARGS; --bench also
# installs BENCH_PKGS (PyTorch, scikit-learn, jieba, python-igraph and wrk for tools/bench/).
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential cmake pkg-config zlib1g-dev \
  librdf0-dev libraptor2-dev librasqal3-dev libserd-dev \
  libigraph-dev libopenblas-dev libxml2-dev libsqlite3-dev libmicrohttpd-dev libicu-dev \
  libgraphviz-dev libcmocka-dev libstemmer-dev wordnet-base \
  raptor2-utils rasqal-utils serdi sqlite3 libpng-dev libjpeg-dev dataset-fashion-mnist \
  curl chromium"
# curl: the demo and the service's crash test talk HTTP; chromium: the page's browser test.
# Reference implementations and load tools the benchmarks compare against, only with --bench.
BENCH_PKGS="python3-torch python3-numpy python3-sklearn python3-jieba python3-igraph wrk"
if [ "${1:-}" = "--bench" ]; then
  PKGS="$PKGS $BENCH_PKGS"
fi

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j2 2>&1 | grep -E "error|warning|Error" || true
test -x "$BUILD_DIR/portrait" || { echo "setup: build failed" >&2; exit 1; }
echo "setup: built $BUILD_DIR/portrait" >&2
