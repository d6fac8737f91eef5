#!/usr/bin/env bash
# quickstart.sh [classify|test]
#   Installs the Debian packages mobilecl needs (when missing), builds it in ./build, then
#   either classifies cat.bmp with MobileNetV2 (default) or runs the whole test suite.
#   Data: $MOBILECL_DATA_DIR, else ../shared/data, else the public model files downloaded by
#   tools/fetch_models.sh into models/downloaded (checked against models/SHA256SUMS).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-classify}
case "$mode" in classify|test) ;; *) echo "usage: $0 [classify|test]" >&2; exit 2 ;; esac

deps=(build-essential cmake pkg-config ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
      libclblast-dev libcmocka-dev libstb-dev ca-certificates curl)
tools/apt_install.sh quickstart "${deps[@]}"

# PoCL silently finds no device when its cache folder is not writable.
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$PWD/build/pocl-cache}
mkdir -p "$POCL_CACHE_DIR"

werror=OFF
[ "${MOBILECL_WERROR:-0}" = "1" ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMOBILECL_WERROR=$werror
cmake --build build -j"$(nproc)"

data=${MOBILECL_DATA_DIR:-}
if [ -z "$data" ]; then
    if [ -d ../shared/data ]; then
        data=$(cd ../shared/data && pwd)
    elif [ "${CI:-}" = "true" ]; then
        echo "quickstart: ../shared/data is missing, and CI must test on the real models" >&2
        exit 1
    else
        tools/fetch_models.sh models/downloaded
        data=$PWD/models/downloaded
    fi
fi
export MOBILECL_DATA_DIR=$data

if [ "$mode" = classify ]; then
    exec build/mobilecl classify --top 5 \
        --model "$data/models/mobilenet_v2_1.0_224_quant.tflite" \
        --labels "$data/labels/imagenet_labels.txt" "$data/images/cat.bmp"
fi
ctest --test-dir build --output-on-failure -j"$(nproc)"
