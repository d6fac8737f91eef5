#!/usr/bin/env bash
# Oclgrind job: the OpenCL kernel tests (ctest's cl.* group) on Oclgrind's simulator instead
# of PoCL.  Oclgrind interprets every work-item and checks what a CPU driver lets pass and a
# phone's GPU may not: reads and writes outside a buffer (a tail work-item one row too far
# reads PoCL's neighbouring heap, a Mali faults), data races between work-items in global
# and local memory, barriers not reached by a whole work-group, and invalid API calls.
# Any such report fails the job, even when the test itself passed.
#
# Two passes: the device as the simulator reports it (every type at once, so the backend
# makes a CPU device's choices), then reported as a GPU (tests/fault/cl_fault_shim.c,
# MOBILECL_CL_DEVICE_TYPE=gpu), so the GPU-only group kernels and layouts run too.
#
#   tools/ci_oclgrind.sh [--all] BUILD_DIR [CTEST_REGEX]
#       BUILD_DIR: a configured and built tree; CTEST_REGEX: default every cl.* test.
#       --all: also the cases CI leaves out (below): ~20 min a pass on 2 cores, not 3-5.
#
# CI leaves out (MCL_TEST_SKIP) the cases that run whole networks (the fp16 network test and
# the CLI's, the tuner's networks and its cached decision), CLBlast's GEMMs (not our
# kernels) and CLBlast's probe, a deliberately broken program (the API check reports it),
# and cases that repeat other cases' kernels at sizes the simulator takes minutes over:
# both fused layouts on every big pair (each pass runs its own layout on the same pairs),
# the pairs run apart, and the capped re-runs of big group kernels (what they fall back to
# is the CPU pass's kernels).  The capped re-runs of the small softmax and pool tests stay.
# Not checked: uninitialized values.  Oclgrind 21.10 counts memory written by
# clEnqueueWriteBuffer at an offset, or given with CL_MEM_USE_HOST_PTR, as never written,
# so every kernel reading a network's input would be reported.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
skip=test_mobilenet_v2_fp16_vs_fp32,test_cli_precision,test_tune_model_and_cli
skip+=,test_cli_reports_precision
skip+=,test_clblast_path,test_clblast_not_loadable,test_auto_probe_keeps_either_path
skip+=,test_cache_round_trip,test_auto_decision_cached,test_build_failure_names_file
skip+=,test_both_layouts,test_tile_layout_falls_back,test_group_tiles_fall_back
skip+=,test_pairs_kept_apart
if [ "${1:-}" = --all ]; then
    skip=
    shift
fi
build=${1:?usage: tools/ci_oclgrind.sh [--all] BUILD_DIR [CTEST_REGEX]}
regex=${2:-^cl\\.}
build=$(cd "$build" && pwd)
export MCL_TEST_SKIP=$skip

"$root/tools/apt_install.sh" ci_oclgrind oclgrind
icd_lib=$(dpkg -L oclgrind | grep '/liboclgrind-rt-icd\.so$' | head -n1)
[ -n "$icd_lib" ] || { echo "ci_oclgrind: oclgrind's ICD library not found" >&2; exit 1; }

work=$(mktemp -d /tmp/mobilecl-oclgrind-XXXXXX)
trap 'rm -rf "$work"' EXIT
# The ICD loader sees only the simulator: no PoCL to fall back on behind its back.
mkdir -p "$work/vendors"
echo "$icd_lib" >"$work/vendors/oclgrind.icd"
export OCL_ICD_VENDORS=$work/vendors
export OCLGRIND_DATA_RACES=1 OCLGRIND_CHECK_API=1
export MOBILECL_REQUIRE_CL=1

status=0
for pass in ${OCLGRIND_PASSES:-as-reported gpu}; do
    log=$work/$pass.log
    export MOBILECL_CACHE_DIR=$work/cache-$pass
    start=$(date +%s)
    if [ "$pass" = gpu ]; then
        run=(env LD_PRELOAD="$build/libmcl_cl_fault_shim.so" MOBILECL_CL_DEVICE_TYPE=gpu)
    else
        run=()
    fi
    # -V: every test's whole output goes to the log, where the simulator's reports are.
    if ! (cd "$build" && "${run[@]}" ctest -j"$(nproc)" -V -R "$regex" >"$log" 2>&1); then
        grep -E "(Passed|Failed|\*\*\*).*sec$|tests passed" "$log" | tail -n 30 >&2
        # What failed, from the tests' own output (the log goes with the job).
        grep -E "^[0-9]+: .*(FAILED|ERROR|error|differ)" "$log" | head -n 40 >&2 || true
        echo "ci_oclgrind: $pass: tests failed on the simulator" >&2
        status=1
    fi
    # Every kernel report names its kernel and work-item; API reports name the call.
    reports=$(grep -cE "^[0-9]+: [[:space:]]*Kernel: |OpenCL runtime error detected" "$log" || true)
    if [ "$reports" != 0 ]; then
        # (|| true: head closing the pipe early is not a failure)
        grep -E -B1 -A8 "^[0-9]+: [[:space:]]*Kernel: |OpenCL runtime error detected" "$log" \
            | head -n 80 >&2 || true
        echo "ci_oclgrind: $pass: $reports Oclgrind report(s)" >&2
        status=1
    fi
    echo "ci_oclgrind: $pass: $(grep -cE "Test +#[0-9]+: .* Passed" "$log") passed," \
         "$reports reports, $(( $(date +%s) - start )) s; slowest:"
    grep -E "Test +#[0-9]+: " "$log" | awk '{print $(NF-1), $4}' | sort -rn | head -n 5 \
        | sed 's/^/    /' || true
done
exit $status
