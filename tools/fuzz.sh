#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang + ASan + UBSan and runs each
# for a time or a number of executions.  Crashing inputs (crash-*, leak-*, timeout-*, oom-*)
# are copied to tests/fuzz/regressions/<target>/, where the normal test suite replays them
# (tests/unit/test_fuzz_regressions.c).  Seeds come from the shared data at run time
# (tools/fuzz_seeds.py); the growing corpus stays in the build folder, never in git.
#
#   tools/fuzz.sh [-t SECONDS | -n RUNS] [-b BUILD_DIR] [TARGET...]
#
# TARGET: tflite image labels flexbuffer (default: all).  Default: -t 60 each.
# Environment: MOBILECL_DATA_DIR (default ../shared/data), CC (default clang).
# Prints one line per target: "<target>: <executions> executions, <crashes> crashes" and
# exits 1 when any target crashed.  See docs/ROBUSTNESS.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
limit=(-max_total_time=60)
while getopts "t:n:b:h" opt; do
  case $opt in
    t) limit=(-max_total_time="$OPTARG") ;;
    n) limit=(-runs="$OPTARG") ;;
    b) build=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tflite image labels flexbuffer yuv)
data=${MOBILECL_DATA_DIR:-$root/../shared/data}
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (apt-get install clang libclang-rt-dev)"; exit 2; }

# -O1 -g: what libFuzzer's documentation recommends; OpenCL stays linked (the library needs
# it) but no target reaches it.  CLBlast is left out: nothing here uses it.
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="-O1 -g" -DMOBILECL_FUZZ=ON -DMOBILECL_BUILD_TESTS=OFF \
  -DMOBILECL_WITH_CLBLAST=OFF >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1 ||
  { tail -40 "$build/build.log"; exit 1; }

python3 "$root/tools/fuzz_seeds.py" "$data" "$build/seeds" >/dev/null ||
  echo "fuzz.sh: could not make seeds from $data; fuzzing from the corpus alone" >&2
mkdir -p "$build/seeds"/{tflite,image,labels,flexbuffer,yuv}

declare -A max_len=([tflite]=131072 [image]=65536 [labels]=8192 [flexbuffer]=4096 [yuv]=16384)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary="$build/fuzz-summary.txt"
: >"$summary"
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" artifacts="$build/artifacts/$t" regress="$root/tests/fuzz/regressions/$t"
  mkdir -p "$corpus" "$artifacts"
  dirs=("$corpus" "$build/seeds/$t")
  [ -d "$regress" ] && dirs+=("$regress")
  log="$build/fuzz-$t.log"
  set +e
  "$build/fuzz_$t" "${limit[@]}" -max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=0
  for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -f "$f" ] || continue
    mkdir -p "$regress"
    cp "$f" "$regress/"
    rm "$f"
    crashes=$((crashes + 1))
  done
  if [ $rc -ne 0 ] && [ $crashes -eq 0 ]; then crashes=1; fi
  line="$t: ${execs:-0} executions, $crashes crashes"
  [ $crashes -eq 0 ] || { line="$line (inputs in tests/fuzz/regressions/$t, log $log)"; status=1; }
  echo "$line" | tee -a "$summary"
done
exit $status
