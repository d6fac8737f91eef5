#!/usr/bin/env bash
# Installs those of the named Debian packages that are not installed yet (apt-get update first,
# no recommends, sudo when not root); prints what it installs, prefixed with TAG.
#
#   tools/apt_install.sh TAG PACKAGE...
set -euo pipefail
tag=$1
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "$tag: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
