#!/bin/sh
# fetch_models.sh -- download mobilecl's supported model files and check their SHA-256.
#
#   tools/fetch_models.sh [DIR]              download into DIR (default models/downloaded)
#   tools/fetch_models.sh --verify-only DIR  check an existing folder, download nothing
#   tools/fetch_models.sh --list             print what would be downloaded, and from where
#
# DIR gets the layout of ../shared/data, so MOBILECL_DATA_DIR=DIR works for the CLI and tests:
#   DIR/models/<file>.tflite   the models of models/manifest.txt (Google Coral's public test data)
#   DIR/labels/<file>.txt      their label files (coco_labels.txt derived from Coral's
#                              "id name" list, saved as coco_labels_91.txt)
#   DIR/images/<file>          four test photos (cat, grace_hopper, bird, parrot)
#
# Every file with a line in models/SHA256SUMS must match it: a download that does not is
# deleted, the next source address is tried, and if none gives the right bytes the script
# says so and exits 1 (nothing unverified is kept under a model's name).  Files already
# present with the right checksum are not downloaded again.  Label files and photos without a
# line in SHA256SUMS are downloaded as they are (the script says "not pinned").
#
# MOBILECL_FETCH_MIRROR=URL-or-folder fetches every file from URL/<models|labels|images>/<file>
# instead of the public addresses (an offline mirror with the same layout; also how this
# script's logic is tested without network access).  Needs curl or wget, and sha256sum,
# shasum or openssl.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
manifest=$root/models/manifest.txt
sums=$root/models/SHA256SUMS

# Label files and photos, as "path url [url...]".  The pinned commit of Coral's repository is
# one whose imagenet_labels.txt and parrot.jpg match SHA256SUMS.
coral=https://github.com/google-coral/test_data/raw/master
coral_pin=https://raw.githubusercontent.com/google-coral/test_data/104342d2d3480b3e66203073dac24f4e2dbb4c41
extras="labels/imagenet_labels.txt $coral/imagenet_labels.txt $coral_pin/imagenet_labels.txt
labels/inat_bird_labels.txt $coral/inat_bird_labels.txt
labels/pascal_voc_segmentation_labels.txt $coral/pascal_voc_segmentation_labels.txt
labels/coco_labels_91.txt $coral/coco_labels.txt
images/cat.bmp $coral/cat.bmp
images/grace_hopper.bmp $coral/grace_hopper.bmp
images/bird.bmp $coral/bird.bmp
images/parrot.jpg $coral/parrot.jpg $coral_pin/parrot.jpg"

say() { printf '%s\n' "fetch_models: $*"; }
die() { printf '%s\n' "fetch_models: $*" >&2; exit 1; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    else
        die "no sha256sum, shasum or openssl to check downloads with"
    fi
}

# Expected checksum of a path relative to the data folder ("" when it has no line).
expected_sum() {
    awk -v p="$1" '$2 == p || $2 == "*" p { print $1; exit }' "$sums"
}

# download URL OUT: 0 when the whole body arrived with a 2xx status.
download() {
    case $1 in
        /*) cat "$1" > "$2" 2>/dev/null; return ;;
    esac
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        die "neither curl nor wget is installed"
    fi
}

# fetch REL URL...: make DIR/REL hold the right bytes; 0 on success.
fetch() {
    rel=$1
    shift
    dest=$dir/$rel
    want=$(expected_sum "$rel")
    if [ -f "$dest" ]; then
        if [ -z "$want" ]; then
            say "$rel: present (not pinned)"
            return 0
        fi
        got=$(sha256_of "$dest")
        if [ "$got" = "$want" ]; then
            say "$rel: ok (already present)"
            return 0
        fi
        say "$rel: present but its SHA-256 is $got, not $want: downloading it again"
        rm -f "$dest"
    fi
    mkdir -p "$(dirname "$dest")"
    if [ -n "${MOBILECL_FETCH_MIRROR:-}" ]; then
        set -- "${MOBILECL_FETCH_MIRROR%/}/$rel"
    fi
    tmp=$dest.part.$$
    for url in "$@"; do
        rm -f "$tmp"
        if ! download "$url" "$tmp"; then
            say "$rel: download failed: $url" >&2
            continue
        fi
        if [ -n "$want" ]; then
            got=$(sha256_of "$tmp")
            if [ "$got" != "$want" ]; then
                say "$rel: $url gave SHA-256 $got, expected $want: deleted" >&2
                continue
            fi
            mv "$tmp" "$dest"
            say "$rel: ok ($url)"
        else
            mv "$tmp" "$dest"
            say "$rel: downloaded, not pinned ($url)"
        fi
        tmp=
        return 0
    done
    rm -f "$tmp"
    tmp=
    return 1
}

verify_only() {
    bad=0
    total=0
    while read -r want rel; do
        case $want in ''|'#'*) continue ;; esac
        rel=${rel#\*}
        total=$((total + 1))
        if [ ! -f "$dir/$rel" ]; then
            say "$rel: MISSING" >&2
            bad=$((bad + 1))
            continue
        fi
        got=$(sha256_of "$dir/$rel")
        if [ "$got" = "$want" ]; then
            say "$rel: ok"
        else
            say "$rel: MISMATCH: SHA-256 $got, expected $want" >&2
            bad=$((bad + 1))
        fi
    done < "$sums"
    if [ "$bad" -ne 0 ]; then
        die "$bad of $total files in $dir are missing or do not match models/SHA256SUMS"
    fi
    say "all $total files in $dir match models/SHA256SUMS"
}

# Every "path url..." the script downloads: the manifest's models, then the extras.
sources() {
    while read -r file _task _input _labels urls; do
        case $file in ''|'#'*) continue ;; esac
        printf 'models/%s %s\n' "$file" "$urls"
    done < "$manifest"
    printf '%s\n' "$extras"
}

mode=download
dir=
case ${1:-} in
    -h|--help) usage; exit 0 ;;
    --list) mode=list ;;
    --verify-only)
        [ $# -eq 2 ] || die "usage: $0 --verify-only DIR"
        mode=verify
        dir=$2 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
        [ $# -le 1 ] || die "usage: $0 [DIR]"
        dir=${1:-$root/models/downloaded} ;;
esac
[ -f "$manifest" ] || die "$manifest is missing"
[ -f "$sums" ] || die "$sums is missing"

case $mode in
    list)
        sources | while read -r rel urls; do
            printf '%s  %s\n' "$rel" "$urls"
        done
        exit 0 ;;
    verify)
        [ -d "$dir" ] || die "$dir is not a folder"
        verify_only
        exit 0 ;;
esac

mkdir -p "$dir" || die "cannot create $dir"
tmp=
trap '[ -n "$tmp" ] && rm -f "$tmp"' EXIT
trap 'exit 130' INT TERM
failed=
# The list is read into positional parameters per line so that fetch sees each url as one
# word; a here-document keeps the loop in this shell (a pipe would run it in a subshell).
while read -r rel urls; do
    [ -n "$rel" ] || continue
    # shellcheck disable=SC2086 # urls is a space-separated list on purpose
    if ! fetch "$rel" $urls; then
        failed="$failed $rel"
    fi
done <<EOF
$(sources)
EOF

# Coral's COCO labels are "id  name" lines keyed by the detector's class id; the plain list
# (line i names class i, "n/a" for the ids COCO leaves unused) is derived from them.
if [ -f "$dir/labels/coco_labels_91.txt" ] && [ ! -f "$dir/labels/coco_labels.txt" ]; then
    if awk '
        $1 ~ /^[0-9]+$/ { id = $1 + 0; sub(/^[ \t]*[0-9]+[ \t]+/, ""); name[id] = $0
                          if (id > max) max = id; n++; next }
        NF { plain = 1 }
        END { if (plain || n == 0) exit 1
              for (i = 0; i <= max; i++) print ((i in name) ? name[i] : "n/a") }
        ' "$dir/labels/coco_labels_91.txt" > "$dir/labels/coco_labels.txt.part.$$"; then
        mv "$dir/labels/coco_labels.txt.part.$$" "$dir/labels/coco_labels.txt"
        say "labels/coco_labels.txt: derived from coco_labels_91.txt"
    else
        rm -f "$dir/labels/coco_labels.txt.part.$$"
        say "labels/coco_labels_91.txt is not \"id name\" lines: coco_labels.txt not derived" >&2
    fi
fi

if [ -n "$failed" ]; then
    die "could not get a verified copy of:$failed
  (checksums: models/SHA256SUMS; sources: models/manifest.txt and tools/fetch_models.sh)"
fi
say "done: MOBILECL_DATA_DIR=$dir"
