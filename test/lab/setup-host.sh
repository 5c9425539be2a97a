#!/usr/bin/env bash
# Step 1 of the cfgscope QEMU lab: host packages, guest kernel, guest modules.
#
#  - installs the Debian packages the lab needs (QEMU, busybox-static, bpftrace, bpftool, ...);
#    bpftrace is installed on the HOST because the guest runs the host's /usr over 9p;
#  - downloads (apt-get download, not install) the pinned kernel package (KERNEL_PACKAGE at
#    KERNEL_VERSION, lab-env.sh) and unpacks it with dpkg -x into $LAB_CACHE/kernel;
#  - extracts the uncompressed vmlinux from the bzImage (only for its BTF: struct offsets,
#    recorded in $LAB_CACHE/btf-offsets.txt for reference);
#  - copies the guest modules plus their dependencies (read from each module's .modinfo
#    `depends=`) into $LAB_CACHE/modules, with a load order file per module.
#
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

# --- 1. host packages -------------------------------------------------------------------
# Each at its pinned version (lab-env.sh); one installed at another version is used as it is.
missing=()
for spec in "${HOST_PACKAGES[@]}"; do
    p="${spec%%=*}"
    have="$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)"
    if [[ "$have" != 'install ok installed '* ]]; then
        missing+=("$spec")
    elif [[ "${have##* }" != "${spec#*=}" ]]; then
        log "warning: $p ${have##* } is installed, not the pinned ${spec#*=} (lab-env.sh): using it"
    fi
done
if ((${#missing[@]})); then
    lab_require_pins "${missing[@]}"
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- 2. kernel package ------------------------------------------------------------------
kpkg="$KERNEL_PACKAGE"
mkdir -p "$LAB_CACHE/deb"
deb="$(ls "$LAB_CACHE/deb/${kpkg}_${KERNEL_VERSION}"_*.deb 2>/dev/null | head -n1 || true)"
if [[ -z "$deb" ]]; then
    # Dies naming the version and what the archive has now when the pinned build is gone.
    kspec="$KERNEL_PACKAGE=$KERNEL_VERSION"
    lab_require_pins "$kspec"
    log "downloading $kspec"
    # apt-get download writes to the current directory; run it in a subshell.
    (cd "$LAB_CACHE/deb" && apt-get download "$kspec")
    deb="$(ls "$LAB_CACHE/deb/${kpkg}_${KERNEL_VERSION}"_*.deb | head -n1)"
fi
kver_pkg="$(dpkg-deb -f "$deb" Version)"
[[ "$kver_pkg" == "$KERNEL_VERSION" ]] || die "$deb is version $kver_pkg, not the pinned $KERNEL_VERSION"

kroot="$LAB_CACHE/kernel"
if [[ ! -f "$kroot/.done-$kver_pkg" ]]; then
    log "unpacking $(basename "$deb")"
    rm -rf "$kroot"
    mkdir -p "$kroot"
    dpkg -x "$deb" "$kroot"
    touch "$kroot/.done-$kver_pkg"
fi
krel="$(ls "$kroot/lib/modules" | head -n1)"   # e.g. 6.1.0-56-amd64
[[ -f "$kroot/boot/vmlinuz-$krel" ]] || die "no vmlinuz-$krel in $deb"
ln -sfn "kernel/boot/vmlinuz-$krel" "$LAB_CACHE/vmlinuz"
printf '%s\n' "$krel" >"$LAB_CACHE/kernel-release"
printf '%s %s\n' "$kpkg" "$kver_pkg" >"$LAB_CACHE/kernel-package"

# --- 3. vmlinux (for its BTF) -------------------------------------------------------------
# The bzImage carries a compressed vmlinux: xz on 6.1 (magic FD 37 7A 58 5A 00), zstd on 6.12
# (magic 28 B5 2F FD). Decompress from the first magic (the decompressor complains about the
# trailing bytes after the stream: ignored; the .BTF check below says whether it worked).
if [[ ! -s "$LAB_CACHE/vmlinux" ]]; then
    log "extracting vmlinux from the bzImage"
    img="$kroot/boot/vmlinuz-$krel"
    off="$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$img" | cut -d: -f1 || true)"
    unpack=(xz -dc)
    if [[ -z "$off" ]]; then
        off="$(LC_ALL=C grep -m1 -obUaP '\x28\xb5\x2f\xfd' "$img" | cut -d: -f1 || true)"
        unpack=(zstd -dcq)
    fi
    [[ -n "$off" ]] || die "no xz or zstd stream in vmlinuz-$krel"
    tail -c +"$((off + 1))" "$img" | "${unpack[@]}" >"$LAB_CACHE/vmlinux.tmp" 2>/dev/null || true
    # Not `readelf | grep -q`: under pipefail, grep -q exiting at the first match can SIGPIPE
    # readelf, failing the pipeline although .BTF is there (CI, 2026-12-02).
    sections="$(readelf -S "$LAB_CACHE/vmlinux.tmp")"
    [[ "$sections" == *'.BTF '* ]] || die "extracted vmlinux has no .BTF"
    mv "$LAB_CACHE/vmlinux.tmp" "$LAB_CACHE/vmlinux"
fi
# The probe does NOT use these numbers (it casts through BTF in the guest); they are kept
# for the README and for cross-checking.
if [[ ! -s "$LAB_CACHE/btf-offsets.txt" ]]; then
    bpftool btf dump file "$LAB_CACHE/vmlinux" format raw \
        | awk '
            /^\[[0-9]+\] STRUCT / { s = $3; gsub(/\047/, "", s); next }
            /^\[[0-9]+\]/        { s = "" }
            s ~ /^(pci_bus|pci_dev|pci_sysdata)$/ && $1 ~ /^\047(number|sysdata|bus|devfn|domain)\047$/ {
                f = $1; gsub(/\047/, "", f)
                for (i = 1; i <= NF; i++) if ($i ~ /^bits_offset=/) { b = substr($i, 13) }
                printf "%s.%s %d\n", s, f, b / 8
            }' >"$LAB_CACHE/btf-offsets.txt"
fi

# --- 4. guest modules and their dependencies ------------------------------------------------
moddir="$LAB_CACHE/modules"
mkdir -p "$moddir"
kmods="$kroot/lib/modules/$krel/kernel"

# Modules built into the kernel (6.12: virtio_pci) are in modules.builtin: nothing to load.
builtin="$(sed 's,.*/,,; s/\.ko$//; s/-/_/g' "$kroot/lib/modules/$krel/modules.builtin")"
is_builtin() { grep -qx "${1//-/_}" <<<"$builtin"; }
# find_module NAME -> path of NAME.ko or NAME.ko.xz (6.12) ('-' and '_' are interchangeable)
find_module() {
    local n="$1" a b
    a="${n//-/_}" b="${n//_/-}"
    find "$kmods" \( -name "$a.ko" -o -name "$b.ko" -o -name "$a.ko.xz" -o -name "$b.ko.xz" \) -print -quit
}
# module_depends PATH -> the module's dependencies, one a line (from .modinfo depends=). Written to
# a temporary file, not /dev/stdout: objcopy deletes its output path when it fails, which was the
# host's /dev/stdout.
modinfo_tmp="$(mktemp)"
trap 'rm -f "$modinfo_tmp"' EXIT
module_depends() {
    objcopy -O binary --only-section=.modinfo "$1" "$modinfo_tmp" || die "objcopy could not read .modinfo of $1"
    tr '\0' '\n' <"$modinfo_tmp" | sed -n 's/^depends=//p' | tr ',' '\n' | sed '/^$/d'
}
# load_order NAME -> NAME's dependency closure, dependencies first, each once
declare -A seen
load_order() {
    local n="$1" p d
    [[ -n "${seen[$n]:-}" ]] && return 0
    seen[$n]=1
    if is_builtin "$n"; then return 0; fi
    p="$(find_module "$n")"
    [[ -n "$p" ]] || die "module $n not found in $krel"
    # busybox insmod loads plain ELF only: .ko.xz is unpacked here, once.
    if [[ ! -s "$moddir/$n.ko" ]]; then
        case $p in
            *.xz) xz -dc "$p" >"$moddir/$n.ko.tmp" && mv "$moddir/$n.ko.tmp" "$moddir/$n.ko" ;;
            *) cp "$p" "$moddir/$n.ko" ;;
        esac
    fi
    local deps
    deps="$(module_depends "$moddir/$n.ko")"
    while read -r d; do [[ -n "$d" ]] && load_order "$d"; done <<<"$deps"
    printf '%s\n' "$n"
}
for m in "${GUEST_MODULES[@]}"; do
    seen=()
    load_order "$m" >"$moddir/$m.order"
    log "module $m: $(tr '\n' ' ' <"$moddir/$m.order")"
done

log "kernel $kpkg $kver_pkg ($krel) ready in $LAB_CACHE"
