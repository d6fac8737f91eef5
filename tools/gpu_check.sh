#!/usr/bin/env bash
# The GPU check of issue #5, as one prepared run on a machine with an NVIDIA GPU and no
# network (the workplace's device tool): the whole test suite and `mobilecl bench` on the GPU
# through NVIDIA's OpenCL driver, with PyTorch CUDA as the peer in the same run.
#
#   tools/gpu_bundle.sh [BUNDLE]            # here: build + libraries + real data -> BUNDLE
#   tools/gpu_check.sh [BUNDLE] [OUTDIR] [short] 2>&1 | tee OUTDIR/gpu_check.log   # there
#
# BUNDLE may also be the bundle's BUNDLE.tar.xz (what travels), unpacked next to it first.
#
# `short` (a re-check after a change, ~3 minutes): one pointwise path, PyTorch batch 1 only,
# no fp16 and no CLBlast comparison.  `quick` (~2 minutes, for the end of a device budget):
# the test programs named in TESTS (`all`: every one, 8 at a time, ~2.5 minutes more), then
# the AB runs (2 rounds, PyTorch once), a per-op profile per AB setting and DeepLab's
# pointwise paths.
#
# TORCH=0 (quick): no PyTorch peer (its start-up alone takes ~40 s of a short device budget).
# DEEPLAB_PATHS (quick): the pointwise paths whose DeepLab runs are timed, 2 rounds (default
# auto kernel clblast; empty: DeepLab's profile only).
# AB: the environment settings whose effect the batch-1 runs measure, alternated in each
# round with the defaults and PyTorch, `;`-separated; `-` is the defaults, `bin=NAME` the
# defaults of another binary in BUNDLE/build (the previous build, copied there as NAME).
# The default list compares the expansion + depthwise fusion's size thresholds
# (MOBILECL_PW_DW_MIN_KB) and no fusion (MOBILECL_PW_DW=0).  In `quick` mode each setting also
# gets a per-op profile (profile_mnv2.txt).
#
# BUNDLE (default .gpu) holds build/ (configured for this checkout's path), lib/ (the ICD
# loader, CLBlast and cmocka of the build machine, since the GPU machine may lack them) and
# data/ (a copy of the shared models, images and labels).  The NVIDIA ICD is registered
# through OCL_ICD_VENDORS, pointing at whatever libnvidia-opencl the driver provides.
# Every step has its own time limit and the script goes on after a failure, so one broken
# step does not cost the rest of the (short, shared) device time.
set -u
B=${1:-.gpu}
if [ "${B%.tar.xz}" != "$B" ]; then
    mkdir -p "${B%.tar.xz}" && tar -C "${B%.tar.xz}" -xJf "$B" || exit 1
    B=${B%.tar.xz}
fi
B=$(readlink -f "$B")
O=${2:-${OUT:-/tmp/mobilecl-gpu-out}}
SHORT=${3:-}
PATHS="auto kernel clblast"
[ -z "$SHORT" ] || PATHS=auto
AB=${AB:-"-;MOBILECL_PW_DW_MIN_KB=0;MOBILECL_PW_DW_MIN_KB=300;MOBILECL_PW_DW_MIN_KB=1024;MOBILECL_PW_DW=0"}
mkdir -p "$O"
step() { echo; echo "== $(date -u +%T) $*"; }
M=$B/data/models
MNV2=$M/mobilenet_v2_1.0_224_quant.tflite
DEEPLAB=$M/deeplabv3_mnv2_pascal_quant.tflite
CLI=$B/build/mobilecl
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export MOBILECL_DATA_DIR=$B/data MOBILECL_CACHE_DIR=$(mktemp -d) CI=true MOBILECL_REQUIRE_CL=1
export PYTHONUNBUFFERED=1
# What the test programs read from ctest's environment.
export MOBILECL_CLI=$CLI MOBILECL_CL_FAULT_SHIM=$B/build/libmcl_cl_fault_shim.so
export MOBILECL_SOURCE_DIR=$(readlink -f "$B/..")

# Every test program, 8 at a time: a line for each that failed, the count, the failures' log
# tails; the summary and logs go to $O.  test_install builds against an install tree: a ctest
# test of the build machine, not of the device.
all_tests() {
    mkdir -p "$O/tests"
    ls "$B"/build/test_* | grep -v /test_install | timeout 300 xargs -P 8 -I{} sh -c \
        'n=$(basename {}); if timeout 200 {} > "'"$O"'/tests/$n.log" 2>&1; then
         echo "PASS $n"; else echo "FAIL $n (exit $?)"; fi' | sort > "$O/tests_summary.txt"
    grep -v ^PASS "$O/tests_summary.txt"
    echo "passed $(grep -c ^PASS "$O/tests_summary.txt") of $(wc -l < "$O/tests_summary.txt")"
    for f in $(awk '/^FAIL/ {print $2}' "$O/tests_summary.txt"); do
        echo "--- $f"; tail -25 "$O/tests/$f.log"
    done
    tar czf "$O/test_logs.tgz" -C "$O" tests && rm -rf "$O/tests"
}

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
lscpu | grep -E 'Model name|^CPU\(s\)' || true
# MOBILECL_OPENCL_LIB names another driver (a dry run of this script with PoCL, say).
lib=${MOBILECL_OPENCL_LIB:-}
[ -n "$lib" ] || lib=$( (ldconfig -p | awk '/libnvidia-opencl\.so\.1/ {print $NF; exit}') 2>/dev/null)
[ -n "$lib" ] || lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /usr/local/cuda* \
    -name 'libnvidia-opencl.so.1*' 2>/dev/null | head -1)
if [ -z "$lib" ]; then echo "no libnvidia-opencl.so.1 on this machine: no OpenCL GPU"; exit 1; fi
mkdir -p "$B/icd" && printf %s "$lib" > "$B/icd/nvidia.icd"
export OCL_ICD_VENDORS=$B/icd
echo "NVIDIA OpenCL driver: $lib"

step "mobilecl devices"
timeout 60 "$CLI" devices
timeout 60 "$CLI" devices --json > "$O/devices.json"

step "classify cat.bmp on the GPU (first: program build; second: program cache)"
TIMEFORMAT="wall %R s"
for i in 1 2; do
    time timeout 120 "$CLI" classify --device cl \
        --model "$MNV2" --labels "$B/data/labels/imagenet_labels.txt" "$B/data/images/cat.bmp"
done

if [ "$SHORT" = quick ]; then
    step "tests: ${TESTS:-none}"
    if [ "${TESTS:-}" = all ]; then
        all_tests
    else
        for t in ${TESTS:-}; do
            if timeout 120 "$B/build/$t" > "$O/$t.log" 2>&1; then echo "PASS $t"; else
                echo "FAIL $t (exit $?)"; tail -25 "$O/$t.log"; fi
        done
    fi
    step "MobileNetV2 batch 1, AB settings and PyTorch CUDA"
    IFS=';' read -ra settings <<< "$AB"
    # Runs `mobilecl bench ARGS` under AB setting $1 (which binary, which variables).
    ab_bench() {
        local e=$1 cli=$CLI
        shift
        [ "$e" = "-" ] && e=
        case $e in bin=*) cli=$B/build/${e#bin=}; e= ;; esac
        # shellcheck disable=SC2086 # $e is a list of NAME=VALUE words
        timeout 60 env $e "$cli" bench --device cl --model "$MNV2" "$@"
    }
    for r in 1 2; do
        for e in "${settings[@]}"; do
            ab_bench "$e" --runs 500 --warmup 50 --no-cold --json |
                sed "s/^/mobilecl [$e] round $r: /"
        done
    done
    [ "${TORCH:-1}" = 0 ] || timeout 120 python3 "$B/../tools/bench_torch_cuda.py" --batch 1 \
        --runs 500 --warmup 50 --json | sed "s/^/torch: /"
    step "MobileNetV2 per-op profiles (OpenCL events), one per AB setting"
    for e in "${settings[@]}"; do
        echo "### $e" >> "$O/profile_mnv2.txt"
        ab_bench "$e" --runs 50 --no-startup --profile >> "$O/profile_mnv2.txt"
    done
    grep -E "^###|^runs|in all" "$O/profile_mnv2.txt"
    step "DeepLabv3 513: pointwise paths"
    for r in 1 2; do for pw in ${DEEPLAB_PATHS-auto kernel clblast}; do
        timeout 60 "$CLI" bench --device cl --model "$DEEPLAB" --runs 30 --warmup 5 \
            --no-cold --pointwise $pw --json | sed "s/^/deeplab pointwise=$pw round $r: /"
    done; done
    timeout 60 "$CLI" bench --device cl --model "$DEEPLAB" --runs 20 --no-startup --profile \
        > "$O/profile_deeplab.txt"
    head -30 "$O/profile_deeplab.txt"
    step "done"
    exit 0
fi

step "bench MobileNetV2 1.0/224 (start-up, first run, runs)"
timeout 180 "$CLI" bench --device cl --model "$MNV2" --runs 300 --warmup 30 --json \
    > "$O/bench_mnv2.json"; cat "$O/bench_mnv2.json"

step "MobileNetV2 batch 1: mobilecl (each pointwise path, each AB setting) and PyTorch CUDA interleaved"
for r in 1 2 3; do
    for pw in $PATHS; do
        timeout 60 "$CLI" bench --device cl --model "$MNV2" --runs 500 --warmup 50 \
            --no-startup --pointwise $pw --json | sed "s/^/mobilecl pointwise=$pw round $r: /"
    done
    IFS=';' read -ra settings <<< "$AB"
    for e in "${settings[@]}"; do
        [ "$e" = "-" ] && e=
        # shellcheck disable=SC2086 # $e is a list of NAME=VALUE words
        timeout 60 env $e "$CLI" bench --device cl --model "$MNV2" --runs 500 --warmup 50 \
            --no-startup --json | sed "s/^/mobilecl [${e:-defaults}] round $r: /"
    done
    timeout 180 python3 "$B/../tools/bench_torch_cuda.py" --batch 1 --runs 500 --warmup 50 \
        --json | sed "s/^/torch round $r: /"
done
if [ -z "$SHORT" ]; then
    step "PyTorch CUDA batch 8 and 32"
    timeout 180 python3 "$B/../tools/bench_torch_cuda.py" --batch 8,32 --runs 200 --json
fi

step "profiles (per op, OpenCL events): pointwise auto, kernel, clblast"
for pw in $PATHS; do
    echo "### pointwise $pw" >> "$O/profile_mnv2.txt"
    timeout 60 "$CLI" bench --device cl --model "$MNV2" --runs 50 --no-startup --profile \
        --pointwise $pw >> "$O/profile_mnv2.txt"
done
echo "### MOBILECL_PW_DW=0" >> "$O/profile_mnv2.txt"
MOBILECL_PW_DW=0 timeout 60 "$CLI" bench --device cl --model "$MNV2" --runs 50 --no-startup \
    --profile >> "$O/profile_mnv2.txt"
grep -E "^###|^runs|per-op|SOFTMAX|1x1x1280" "$O/profile_mnv2.txt"

if [ -z "$SHORT" ]; then
    step "fp16 storage"
    timeout 60 "$CLI" bench --device cl --model "$MNV2" --runs 300 --no-startup --precision fp16
fi

step "test suite on the GPU (every tests binary, 8 at a time)"
all_tests

step "tune MobileNetV2 on the GPU, then bench tuned vs untuned, alternated"
timeout 150 "$CLI" tune --device cl --model "$MNV2" --pointwise kernel > "$O/tune_mnv2.txt" 2>&1
tail -40 "$O/tune_mnv2.txt"
for r in 1 2; do for t in off cached; do for pw in kernel auto; do
    timeout 60 "$CLI" bench --device cl --model "$MNV2" --runs 300 --no-startup --tune $t \
        --pointwise $pw --json | sed "s/^/tune=$t pointwise=$pw round $r: /"
done; done; done

step "DeepLabv3 513 on the GPU"
timeout 120 "$CLI" bench --device cl --model "$DEEPLAB" --runs 50 --warmup 5 --no-cold --json
for r in 1 2; do
    for pw in auto kernel; do
        timeout 60 "$CLI" bench --device cl --model "$DEEPLAB" --runs 50 --warmup 5 \
            --no-startup --pointwise $pw --json | sed "s/^/deeplab pointwise=$pw round $r: /"
    done
    MOBILECL_PW_DW=0 timeout 60 "$CLI" bench --device cl --model "$DEEPLAB" --runs 50 \
        --warmup 5 --no-startup --pointwise kernel --json |
        sed "s/^/deeplab pointwise=kernel MOBILECL_PW_DW=0 round $r: /"
done
timeout 60 "$CLI" bench --device cl --model "$DEEPLAB" --runs 20 --no-startup --profile | head -30
step "done"
