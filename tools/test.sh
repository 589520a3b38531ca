#!/bin/sh
# test.sh - the whole test suite: unit tests (cmocka, one program per module), CLI golden tests
# and fuzz-corpus replays, first in the plain build, then under ASan+UBSan. Expects tools/setup.sh
# to have run (the README's command runs both).
set -eu
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== plain build: ctest" >&2
cmake --build build -j2 >/dev/null
(cd build && ctest -j2 --output-on-failure --timeout 600)

echo "== ASan+UBSan build: ctest" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPORTRAIT_SANITIZE="address;undefined" \
  >/dev/null
cmake --build build-asan -j2 2>&1 | grep -E "error|Error" || true
(cd build-asan && ctest -j2 --output-on-failure --timeout 900)
