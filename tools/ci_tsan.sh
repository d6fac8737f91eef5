#!/usr/bin/env bash
# ThreadSanitizer job: the tests that run threads -- the CPU backend's thread pool and plans
# (test_cpu_fast: every task once, stealing from slow threads, whole models on 2 threads) and
# one model shared by sessions in 4 threads plus processes sharing the kernel cache
# (test_threads) -- in a TSan build.  Any report fails the job (TSan's exit status 66).
# PoCL itself is not instrumented, so races inside it would not show (docs/ROBUSTNESS.md).
#
#   tools/ci_tsan.sh [BUILD_DIR]       (default build-tsan/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tsan}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DMOBILECL_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target test_threads test_cpu_fast mobilecl_cli
export TSAN_OPTIONS="halt_on_error=1:exitcode=66"
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$build/pocl-cache}
mkdir -p "$POCL_CACHE_DIR"
(cd "$build" && ctest -j"$(nproc)" --output-on-failure -R "test_threads|test_cpu_fast")
