#!/usr/bin/env bash
# Debug info of the lab's guest kernel, for `cfgscope report|check|diff --vmlinux/--modules`:
#   bash test/lab/setup-debug.sh      # -> test/lab/.cache/debug/{vmlinux,modules/*.ko,timing.txt}
#
# Debian's linux-image-<release>-dbg (6.1.0-56: 858 MB, 5.6 GB unpacked) is `apt-get download`ed
# and only what the lab needs is extracted from it: the vmlinux with DWARF and the .ko files of
# the modules the guest loads. The release is the one the bundled lab captures were made on (the
# header of replays/lab-kexec; DEBUG_RELEASE=... overrides it), not whatever Debian ships today.
# The modules are those of $LAB_CACHE/modules when setup-host.sh made it, else GUEST_MODULES
# (lab-env.sh) and their dependencies, read from the non-debug package of the same release.
# The .deb is deleted afterwards (KEEP_DBG_DEB=1 keeps it). Idempotent. Needs apt (Debian 12,
# bookworm-security in sources.list), dpkg-deb, tar, binutils. timing.txt says how long the
# download and the extraction took (the README quotes it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

# (LAB_KERNEL=6.12: the release of its kexec capture, replays/lab-6.12-kexec.)
kexec_replay="$REPO_DIR/replays/lab-kexec"
[[ $LAB_KERNEL == 6.1 ]] || kexec_replay="$REPO_DIR/replays/lab-$LAB_KERNEL-kexec"
krel="${DEBUG_RELEASE:-$(head -n1 "$kexec_replay/kernel.capture.ndjson" | sed -n 's/.*"release":"\([^"]*\)".*/\1/p')}"
[[ -n "$krel" ]] || die "no kernel release: set DEBUG_RELEASE"
dbg="$LAB_CACHE/debug"
if [[ -s "$dbg/vmlinux" && -f "$dbg/.done-$krel" ]]; then
    log "debug info of $krel already in $dbg"
    exit 0
fi
command -v addr2line >/dev/null || die "addr2line (binutils) is needed"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
pkg="linux-image-$krel-dbg"
# The exact version too when the release is the lab's pinned kernel (lab-env.sh), so the debug
# info always matches the kernel the lab boots.
ver=""
# (6.12's image package is linux-image-<release>-unsigned; its -dbg drops the suffix.)
[[ "linux-image-$krel" == "${KERNEL_PACKAGE%-unsigned}" ]] && ver="=$KERNEL_VERSION"
rm -rf "$dbg"
mkdir -p "$LAB_CACHE/deb" "$dbg/modules"
t0=$(date +%s%N)
deb="$(ls "$LAB_CACHE/deb/${pkg}"_*.deb 2>/dev/null | head -n1 || true)"
if [[ -z "$deb" ]]; then
    # A fresh machine (CI) may have no package lists yet. The lab's own release is pinned: when
    # that build is gone from the archive, say so (version, what the archive has) before downloading.
    if [[ -n "$ver" ]]; then
        lab_require_pins "$pkg$ver"
    else
        apt-cache policy "$pkg" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null || apt-get update -qq
    fi
    log "downloading $pkg (about 860 MB)"
    (cd "$LAB_CACHE/deb" && apt-get download "$pkg$ver")
    deb="$(ls "$LAB_CACHE/deb/${pkg}"_*.deb | head -n1)"
fi
t1=$(date +%s%N)

if compgen -G "$LAB_CACHE/modules/*.ko" >/dev/null; then
    wanted=()
    for ko in "$LAB_CACHE"/modules/*.ko; do wanted+=("$(basename "$ko" .ko)"); done
else
    # No setup-host.sh: GUEST_MODULES and their dependencies, read from the .modinfo `depends=`
    # of the (70 MB) non-debug package of the same release, unpacked in a scratch folder.
    # The lab's own release: its pinned package (6.12: the -unsigned one; the archive has no signed
    # linux-image-6.12.118+deb12-amd64 at all, `apt-cache madison` lists nothing for it).
    kimg="linux-image-$krel"
    [[ -n "$ver" ]] && kimg="$KERNEL_PACKAGE"
    kdeb="$(ls "$LAB_CACHE/deb/${kimg}"_*.deb 2>/dev/null | head -n1 || true)"
    if [[ -z "$kdeb" ]]; then
        [[ -z "$ver" ]] || lab_require_pins "$kimg$ver"
        (cd "$LAB_CACHE/deb" && apt-get download "$kimg$ver")
        kdeb="$(ls "$LAB_CACHE/deb/${kimg}"_*.deb | head -n1)"
    fi
    ktmp="$dbg/.kernel"
    rm -rf "$ktmp"
    dpkg -x "$kdeb" "$ktmp"
    # .modinfo through a temporary file, not /dev/stdout: objcopy deletes its output path when it
    # fails, which was the host's /dev/stdout. 6.12's modules are .ko.xz: unpacked first.
    modinfo_of() {
        local t
        t="$(mktemp)"
        case $1 in *.xz) xz -dc "$1" >"$t.ko" ;; *) cp "$1" "$t.ko" ;; esac
        objcopy -O binary --only-section=.modinfo "$t.ko" "$t" || { rm -f "$t" "$t.ko"; die "objcopy could not read .modinfo of $1"; }
        tr '\0' '\n' <"$t"
        rm -f "$t" "$t.ko"
    }
    declare -A seen=()
    queue=("${GUEST_MODULES[@]}")
    while ((${#queue[@]})); do
        n="${queue[0]}"
        queue=("${queue[@]:1}")
        [[ -n "${seen[${n//-/_}]:-}" ]] && continue
        seen[${n//-/_}]=1
        ko="$(find "$ktmp/lib/modules/$krel/kernel" \( -name "${n//-/_}.ko" -o -name "${n//_/-}.ko" -o -name "${n//-/_}.ko.xz" -o -name "${n//_/-}.ko.xz" \) -print -quit)"
        # built into the kernel (6.12: virtio_pci): no module, no debug module
        [[ -z "$ko" ]] && grep -qE "/(${n//-/_}|${n//_/-})\.ko\$" "$ktmp/lib/modules/$krel/modules.builtin" && { unset "seen[${n//-/_}]"; continue; }
        [[ -n "$ko" ]] || die "module $n not in $(basename "$kdeb")"
        while read -r d; do [[ -n "$d" ]] && queue+=("$d"); done < <(
            modinfo_of "$ko" | sed -n 's/^depends=//p' | tr ',' '\n')
    done
    rm -rf "$ktmp"
    wanted=("${!seen[@]}")
fi
# One pass over the package's 858 MB: the vmlinux and NAME.ko of every wanted module (as '-' or
# '_'). tar exits non-zero when one of the alternative spellings matched nothing: the results are
# checked instead.
patterns=("./usr/lib/debug/boot/vmlinux-$krel")
for n in "${wanted[@]}"; do
    patterns+=("./usr/lib/debug/lib/modules/$krel/kernel/*/${n//-/_}.ko" "./usr/lib/debug/lib/modules/$krel/kernel/*/${n//_/-}.ko")
done
tmp="$dbg/.extract"
rm -rf "$tmp"
mkdir -p "$tmp"
log "extracting vmlinux and ${#wanted[@]} modules from $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${patterns[@]}" 2>/dev/null || true
[[ -s "$tmp/usr/lib/debug/boot/vmlinux-$krel" ]] || die "no vmlinux-$krel in $deb"
mv "$tmp/usr/lib/debug/boot/vmlinux-$krel" "$dbg/vmlinux"
find "$tmp" -name '*.ko' -exec mv -t "$dbg/modules/" {} +
rm -rf "$tmp"
have() { [[ -s "$dbg/modules/${1//-/_}.ko" || -s "$dbg/modules/${1//_/-}.ko" ]]; }
t2=$(date +%s%N)
for n in "${wanted[@]}"; do have "$n" || die "no debug module $n in $deb"; done
{
    echo "package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), $(stat -L -c %s "$deb") bytes"
    echo "download: $(secs "$t0" "$t1") s"
    echo "extract (vmlinux + $(ls "$dbg"/modules/*.ko | wc -l) modules): $(secs "$t1" "$t2") s"
    echo "extracted: $(du -sm "$dbg" | cut -f1) MB"
} >"$dbg/timing.txt"
cat "$dbg/timing.txt" >&2
[[ "${KEEP_DBG_DEB:-0}" == 1 ]] || rm -f "$deb"
touch "$dbg/.done-$krel"
