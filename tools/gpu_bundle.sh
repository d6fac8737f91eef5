#!/usr/bin/env bash
# Packs what tools/gpu_check.sh needs on a GPU machine that has no network and maybe no
# OpenCL loader, CLBlast or cmocka: a Release build of this checkout (tests included), those
# three libraries from this machine, and a copy of the real data.  The bundle is a build
# artefact: keep it out of git (.git/info/exclude) and never commit the data.
#
#   tools/gpu_bundle.sh [BUNDLE]     (default .gpu; data from $MOBILECL_DATA_DIR or ../shared/data)
#
# Also writes BUNDLE.tar.xz (~25 MB): the unpacked bundle is ~75 MB, the 63 test programs
# alone 38 MB, over what the device tool carries (64 MB); carry the tarball (.gitignore keeps
# .gpu and .gpu.tar.xz out of git) and give it to gpu_check.sh, which unpacks it.  BASE=path/to/mobilecl adds an older binary as build/mobilecl.base
# (AB="-;bin=mobilecl.base": old against new in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-.gpu}
DATA=${MOBILECL_DATA_DIR:-../shared/data}
[ -d "$DATA/models" ] || { echo "gpu_bundle.sh: no models in $DATA" >&2; exit 1; }
mkdir -p "$B"
cmake -S . -B "$B/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B/build" -j"$(nproc)" >/dev/null
# Only the executables and the fault shim travel: objects and archives would double the size.
find "$B/build" -name '*.o' -delete
strip "$B/build/mobilecl" "$B/build"/test_* "$B/build/libmcl_cl_fault_shim.so"
mkdir -p "$B/lib"
for l in libOpenCL.so.1 libclblast.so.1 libcmocka.so.0; do
    p=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ {print $NF; exit}')
    [ -n "$p" ] || { echo "gpu_bundle.sh: $l not found" >&2; exit 1; }
    cp -L "$p" "$B/lib/$l"
done
rm -rf "$B/data" && mkdir -p "$B/data"
cp -r "$DATA/models" "$DATA/images" "$DATA/labels" "$DATA/voc2007_subset" "$B/data/"
if [ -n "${BASE:-}" ]; then cp "$BASE" "$B/build/mobilecl.base"; fi
(cd "$B" && ls build/mobilecl build/mobilecl.base build/libmcl_cl_fault_shim.so build/test_* \
    2>/dev/null | tar -cf - -T - lib data) | xz -T0 -3 > "$B.tar.xz"
du -sh "$B" "$B.tar.xz"
