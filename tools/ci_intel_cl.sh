#!/usr/bin/env bash
# Intel OpenCL job: the OpenCL tests on a second OpenCL implementation, Intel's CPU runtime
# (PyPI's intel-opencl-rt: its own LLVM-based compiler, not PoCL's).  It is the one device
# we can run that has cl_khr_fp16, so MCL_PRECISION_FP16_MATH's half-arithmetic kernels run
# here (tests/cl/test_cl_fp16_math.c, MOBILECL_REQUIRE_FP16=1: a device without it fails
# instead of skipping), as the device reports itself and as a GPU (the fault shim's
# MOBILECL_CL_DEVICE_TYPE=gpu), so the GPU kernels compile and run in half too.  The kernel
# compiler's warnings fail the build here as PoCL's do (MOBILECL_CL_WERROR=1): its first run
# found a depthwise tile that it could not unroll.
#
#   tools/ci_intel_cl.sh BUILD_DIR [CTEST_REGEX]
#       BUILD_DIR: a configured and built tree; CTEST_REGEX: default every cl.* test.
#
# The wheels are pinned by version and hash and unpacked into a temporary folder; nothing is
# installed.  The runtime is Intel's (Intel Simplified Software License, downloaded at run
# time, never kept in the repository).  It compiles kernels 5-20x slower than PoCL (a
# MobileNetV2 program set: ~55 s cold), so each pass has its own program cache.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: tools/ci_intel_cl.sh BUILD_DIR [CTEST_REGEX]}
regex=${2:-^cl\\.}
build=$(cd "$build" && pwd)

"$root/tools/apt_install.sh" ci_intel_cl python3-pip unzip
work=$(mktemp -d /tmp/mobilecl-intelcl-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/requirements.txt" <<'EOF'
intel-opencl-rt==2026.2.0 --hash=sha256:6b6215a420598b4999ee01caca6d5cbe106aa4155c46c52377619c5aafce9f67
intel-cmplr-lib-rt==2026.2.0 --hash=sha256:9f713083073a820d2496a6da8e8d4f3482aba6640f74521d25ea48dcebe72748
tbb==2023.2.0 --hash=sha256:7d80615b6e970f11671fa05b6eaa9483ac864fbfe525ac280271a78b37870b7c
EOF
python3 -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
    --platform manylinux_2_28_x86_64 -r "$work/requirements.txt" -d "$work/wheels"
libpath=
for whl in "$work"/wheels/*.whl; do
    unzip -q -o "$whl" -d "$work/rt"
done
for lib in "$work"/rt/*.data/data/lib; do libpath=$lib:$libpath; done
icd_lib=$(ls "$work"/rt/intel_opencl_rt-*.data/data/lib/libintelocl.so)
# The ICD loader sees only Intel's runtime: no PoCL to fall back on behind its back.
mkdir -p "$work/vendors"
echo "$icd_lib" >"$work/vendors/intel-cpu.icd"
export OCL_ICD_VENDORS=$work/vendors
export LD_LIBRARY_PATH=${libpath}${LD_LIBRARY_PATH:-}
export MOBILECL_REQUIRE_CL=1 MOBILECL_REQUIRE_FP16=1 MOBILECL_CL_WERROR=1

status=0
for pass in ${INTEL_CL_PASSES:-as-reported gpu}; do
    export MOBILECL_CACHE_DIR=$work/cache-$pass
    preload=
    if [ "$pass" = gpu ]; then
        preload=$build/libmcl_cl_fault_shim.so
        export MOBILECL_CL_DEVICE_TYPE=gpu
        # The GPU pass: the half kernels' GPU variants, not every kernel test again.
        pass_regex='^cl\.test_cl_fp16'
    else
        unset MOBILECL_CL_DEVICE_TYPE
        pass_regex=$regex
    fi
    start=$(date +%s)
    if ! (cd "$build" && LD_PRELOAD=$preload ctest -j2 --output-on-failure -R "$pass_regex" \
              >"$work/$pass.log" 2>&1); then
        status=1
        grep -E "Failed|FAILED|ERROR|Test +#" "$work/$pass.log" | tail -n 60 || true
    fi
    grep -E "tests passed|Total Test time" "$work/$pass.log" |
        sed "s/^/ci_intel_cl $pass: /" || true
    echo "ci_intel_cl: pass $pass done in $(($(date +%s) - start)) s"
done
exit $status
