#!/usr/bin/env bash
# Sanitizer job: the whole test suite in a Debug build with AddressSanitizer + UBSan
# (LeakSanitizer on, tests/lsan.supp silencing PoCL/LLVM's own process-lifetime allocations),
# then a short libFuzzer smoke of every fuzz target (tools/fuzz.sh).  Exits non-zero on any
# failure, leak or sanitizer report.
#
#   tools/ci_sanitizers.sh [BUILD_DIR]       (default build-asan/; the fuzz build: build-fuzz/)
#
# Environment: MCL_FUZZ_SMOKE_RUNS (executions per fuzz target, default 20000; 0 skips the
# smoke), CTEST_PARALLEL_LEVEL (default: the number of cores), MOBILECL_FAULT_OCCURRENCES
# (default "ends", see tests/e2e/test_cl_faults.c).
# Needs: what tools/quickstart.sh installs (gcc has libasan/libubsan), clang + libclang-rt-dev
# (libFuzzer; installed here when missing), python3 with pillow + flatbuffers + ai_edge_litert
# for the fuzz seeds (without them the smoke fuzzes from the saved regressions alone).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-asan}

# libFuzzer comes with clang's runtime package; the rest is what tools/quickstart.sh installs.
if [ "${MCL_FUZZ_SMOKE_RUNS:-20000}" -gt 0 ]; then
  "$root/tools/apt_install.sh" ci_sanitizers clang libclang-rt-dev
fi
jobs=$(nproc)
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# -O1: a Debug build (asserts, full debug info) that still runs the real models in time.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san" \
  -DMOBILECL_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"

# intercept_tls_get_addr=0: LeakSanitizer's tracking of dynamic TLS (the __tls_get_addr blocks of
# dlopen'ed libraries) read a garbage range at exit ("DTLS 7 at 0xa0d-0x800001b0f" in
# log_threads) and its tracer died with SIGSEGV: test_cl_conv1x1 in 1-2 of 20 runs on this
# VM's glibc 2.36 once PoCL loaded a different set of kernel modules; 0 of 20 with it off, and
# no leak report either way.  It only stops LSan scanning those blocks as roots.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:intercept_tls_get_addr=0"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$build/pocl-cache}
mkdir -p "$POCL_CACHE_DIR"
# The fault-injection test runs ~100 CLI processes; under ASan only the first and last call of
# each OpenCL function are failed (the normal build fails the 2nd too).
export MOBILECL_FAULT_OCCURRENCES=${MOBILECL_FAULT_OCCURRENCES:-ends}
(cd "$build" && ctest -j"${CTEST_PARALLEL_LEVEL:-$jobs}" --output-on-failure)

runs=${MCL_FUZZ_SMOKE_RUNS:-20000}
if [ "$runs" -gt 0 ]; then
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS  # fuzz.sh sets its own
  "$root/tools/fuzz.sh" -n "$runs"
fi
echo "ci_sanitizers: all passed"
