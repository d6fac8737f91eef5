#!/usr/bin/env bash
# Third CI job: libmobilecl compiled for arm64 with Debian's cross compiler, warnings as
# errors.  Phones and boards run the CPU backend's portable kernels and the OpenCL host code;
# this keeps the AVX-512 / AVX2 code behind its x86 guards and the rest building there.  It
# compiles the static library only: linking the CLI or the tests would need arm64 builds of
# libOpenCL and cmocka, which Debian gives only through an arm64 multiarch root.  Running the
# portable path is what the x86 tests do with MOBILECL_CPU_ISA=generic.
#
#   tools/ci_arm64_build.sh [BUILD_DIR]       (default build-arm64/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-arm64}

if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "ci_arm64_build: installing gcc-aarch64-linux-gnu"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
fi

# The OpenCL, stb and CLBlast headers are architecture-independent and Debian's cross gcc
# searches /usr/include after its own arm64 glibc headers.  A static library links nothing,
# so find_package(OpenCL) only needs a name for the library.
cmake -S "$root" -B "$build" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DMOBILECL_BUILD_TESTS=OFF -DMOBILECL_WERROR=ON \
  -DOpenCL_INCLUDE_DIR=/usr/include -DOpenCL_LIBRARY=OpenCL >/dev/null
cmake --build "$build" -j"$(nproc)" --target mobilecl
lib="$build/libmobilecl.a"
# Every member object must be arm64 code (a misconfigured build would quietly use gcc).
if aarch64-linux-gnu-objdump -f "$lib" | grep "file format" | grep -qv "elf64-littleaarch64"; then
  echo "ci_arm64_build: $lib holds objects that are not arm64" >&2
  exit 1
fi
echo "ci_arm64_build: libmobilecl.a builds for arm64 ($(aarch64-linux-gnu-objdump -f "$lib" | grep -c 'file format') objects)"
