#!/usr/bin/env bash
# Debug info of the lab's guest kernel, for `cfgscope report|check|diff --vmlinux/--modules`:
#   bash test/lab/setup-debug.sh      # -> test/lab/.cache/debug/{vmlinux,modules/*.ko,timing.txt}
#
# Debian's linux-image-<release>-dbg (6.1.0-56: 858 MB, 5.6 GB unpacked) is `apt-get download`ed
# and only what the lab needs is extracted from it: the vmlinux with DWARF and the .ko files of
# the modules the guest loads ($LAB_CACHE/modules, made by setup-host.sh). The .deb is deleted
# afterwards (set KEEP_DBG_DEB=1 to keep it). Idempotent: nothing is done when the files are there.
# timing.txt records how long the download and the extraction took (the README quotes it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

[[ -s "$LAB_CACHE/kernel-release" && -d "$LAB_CACHE/modules" ]] || die "run setup-host.sh first"
krel="$(cat "$LAB_CACHE/kernel-release")"
dbg="$LAB_CACHE/debug"
if [[ -s "$dbg/vmlinux" && -f "$dbg/.done-$krel" ]]; then
    log "debug info of $krel already in $dbg"
    exit 0
fi
command -v addr2line >/dev/null || die "addr2line (binutils) is needed"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
pkg="linux-image-$krel-dbg"
mkdir -p "$LAB_CACHE/deb" "$dbg/modules"
t0=$(date +%s%N)
deb="$(ls "$LAB_CACHE/deb/${pkg}"_*.deb 2>/dev/null | head -n1 || true)"
if [[ -z "$deb" ]]; then
    log "downloading $pkg (about 860 MB)"
    (cd "$LAB_CACHE/deb" && apt-get download "$pkg")
    deb="$(ls "$LAB_CACHE/deb/${pkg}"_*.deb | head -n1)"
fi
t1=$(date +%s%N)

# Member names in the package: ./usr/lib/debug/boot/vmlinux-REL and
# ./usr/lib/debug/lib/modules/REL/kernel/<path>/<name>.ko ('-' or '_' in names, as in the tree).
patterns=("./usr/lib/debug/boot/vmlinux-$krel")
for ko in "$LAB_CACHE"/modules/*.ko; do
    n="$(basename "$ko" .ko)"
    patterns+=("./usr/lib/debug/lib/modules/$krel/kernel/*/$n.ko" "./usr/lib/debug/lib/modules/$krel/kernel/*/${n//_/-}.ko")
done
tmp="$dbg/.extract"
rm -rf "$tmp"
mkdir -p "$tmp"
log "extracting vmlinux and $(ls "$LAB_CACHE"/modules/*.ko | wc -l) modules from $(basename "$deb")"
# tar exits non-zero when one of the alternative spellings matched nothing: check the results instead.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${patterns[@]}" 2>/dev/null || true
t2=$(date +%s%N)
[[ -s "$tmp/usr/lib/debug/boot/vmlinux-$krel" ]] || die "no vmlinux-$krel in $deb"
mv "$tmp/usr/lib/debug/boot/vmlinux-$krel" "$dbg/vmlinux"
find "$tmp" -name '*.ko' -exec mv -t "$dbg/modules/" {} +
rm -rf "$tmp"
for ko in "$LAB_CACHE"/modules/*.ko; do
    n="$(basename "$ko")"
    [[ -s "$dbg/modules/$n" || -s "$dbg/modules/${n//_/-}" ]] || die "no debug module for $n in $deb"
done
{
    echo "package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), $(stat -c %s "$deb") bytes"
    echo "download: $(secs "$t0" "$t1") s"
    echo "extract (vmlinux + $(ls "$dbg"/modules/*.ko | wc -l) modules): $(secs "$t1" "$t2") s"
    echo "extracted: $(du -sm "$dbg" | cut -f1) MB"
} >"$dbg/timing.txt"
cat "$dbg/timing.txt" >&2
[[ "${KEEP_DBG_DEB:-0}" == 1 ]] || rm -f "$deb"
touch "$dbg/.done-$krel"
