# shellcheck shell=bash
# Common settings of the cfgscope QEMU lab. Sourced by the other scripts; not run directly.
# Every path can be overridden from the environment.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LAB_DIR/../.." && pwd)"

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
# A command that stops a lab script under set -e says where: without this a failed step printed
# nothing but its exit code (CI, session 6: build-scenario-initramfs.sh on an empty cache).
trap 'printf "[lab] ERROR: %s:%s: \"%s\" failed (exit %s)\n" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

# The guest kernel: LAB_KERNEL=6.1 (the default) or 6.12. Each is pinned to the exact Debian
# package its committed captures in replays/ were made on (their header's kernel.release), not to
# whatever `linux-image-amd64` depends on today: the lab compares its fresh captures with the
# committed ones of the same kernel, and the -dbg package must match the kernel booted. Each kernel
# has its own cache and output folder (6.1 keeps the top-level ones it always had).
LAB_KERNEL="${LAB_KERNEL:-6.1}"
case $LAB_KERNEL in
    6.1)
        _lab_pkg=linux-image-6.1.0-56-amd64 _lab_ver=6.1.192-2 _lab_sub="" ;;
    6.12)
        # bookworm-security's build (bookworm-backports carries older 6.12s; both are signed
        # by Debian's archive key; the -unsigned package is the plain kernel + modules).
        _lab_pkg=linux-image-6.12.118+deb12-amd64-unsigned _lab_ver=6.12.118-1~deb12u1 _lab_sub=/6.12 ;;
    *) die "LAB_KERNEL=$LAB_KERNEL: the lab knows 6.1 and 6.12" ;;
esac
KERNEL_PACKAGE="${KERNEL_PACKAGE:-$_lab_pkg}"
KERNEL_VERSION="${KERNEL_VERSION:-$_lab_ver}"

# Cache of downloaded/extracted things (gitignored). 6.1: 70 MB .deb + ~400 MB extracted; 6.12:
# 107 MB + ~600 MB, in its own folder below the 6.1 one.
LAB_CACHE="${LAB_CACHE:-$LAB_DIR/.cache$_lab_sub}"
# Raw output of the last run (serial log, QEMU trace), gitignored.
LAB_OUT="${LAB_OUT:-$LAB_DIR/out$_lab_sub}"
# Where the fixtures end up.
# (6.12: test/fixtures/bpftrace-6.12, never the 6.1 files.)
FIXTURE_DIR="${FIXTURE_DIR:-$REPO_DIR/test/fixtures/bpftrace${_lab_sub:+-$LAB_KERNEL}}"

# The probe that runs in the guest.
PROBE="${PROBE:-$REPO_DIR/probes/cfgscope.bt}"

# Wall-clock limit of one QEMU run (seconds).
QEMU_TIMEOUT="${QEMU_TIMEOUT:-600}"

# The guest machine every lab boot uses: q35 under TCG, serial console on stdio, three PCIe root
# ports (00:03.0-00:05.0) for e1000e 01:00.0, nvme 02:00.0 and virtio-net 03:00.0. The scripts add
# their kernel, initramfs, command line, the nvme device (plain, or with SR-IOV) and their traces.
LAB_MACHINE=(
    qemu-system-x86_64
    -M q35 -accel tcg -cpu max -smp 2 -m 1G
    -nodefaults -nographic -no-reboot
    -serial stdio
)
LAB_ROOT_PORTS=(
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x3
    -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x4
    -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x5
)

# Host packages the lab needs (Debian bookworm), each pinned: QEMU, busybox and bpftrace at the
# versions the committed fixtures were made with (their run-info.txt), the tools at the archive's.
# setup-host.sh installs a missing one at exactly that version; one already installed at another
# version is used, with a warning (the lab does not downgrade the host).
HOST_PACKAGES=(qemu-system-x86=1:7.2+dfsg-7+deb12u18+b3 busybox-static=1:1.35.0-4+deb12u1+b1
    bpftrace=0.17.0-1 bpftool=7.1.0+6.1.192-3 xz-utils=5.4.1-1+deb12u2 zstd=1.5.4+dfsg2-5
    binutils=2.40-2)
# kexec-tools and the libraries its binary loads, downloaded (not installed) into the scenario
# initramfs by build-scenario-initramfs.sh; the same on both kernels.
_lab_xen=4.17.7+13-g2445b30a44-0+deb12u1
KEXEC_PACKAGES=(kexec-tools=1:2.0.25-3+deb12u3 libxenmisc4.17=$_lab_xen libxenstore4=$_lab_xen
    libxentoolcore1=$_lab_xen libxengnttab1=$_lab_xen libxencall1=$_lab_xen
    libxenforeignmemory1=$_lab_xen libxendevicemodel1=$_lab_xen libxentoollog1=$_lab_xen
    libxenevtchn1=$_lab_xen libxenhypfs1=$_lab_xen libyajl2=2.1.0-3+deb12u2)

# Kernel modules the guest loads; their dependencies are resolved from .modinfo.
GUEST_MODULES=(9p 9pnet_virtio virtio_pci e1000e nvme virtio_net)

# lab_pin_check PACKAGE VERSION < `apt-cache madison` lines: silent (status 0) when they offer
# PACKAGE at exactly VERSION; else one line naming the package, the pinned version and what the
# archive has now (status 1): PACKAGE's other versions, or when it has none, the other packages in
# the input (lab_pin_problems adds the newest builds of the same kernel flavour: a kernel's ABI is
# in its package name). Reads only its input, so a test can feed it recorded output.
lab_pin_check() {
    awk -F'|' -v p="$1" -v v="$2" '
        { for (i = 1; i <= 3; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i) }
        $3 ~ / Packages$/ {
            split($3, where, " "); sub(/\/.*/, "", where[2])
            if ($1 == p) { have = have sep $2 " (" where[2] ")"; sep = ", "; if ($2 == v) ok = 1 }
            else { other = other osep $1 " " $2 " (" where[2] ")"; osep = ", " }
        }
        END {
            if (ok) exit 0
            if (have != "") printf "%s %s is pinned, but the archive has only %s\n", p, v, have
            else printf "%s %s is pinned, but the archive has no %s at all%s\n", p, v, p, other == "" ? "" : "; it has " other
            exit 1
        }'
}

# lab_sibling_regex PACKAGE: PACKAGE's name as an anchored regex with every number after the first
# two (the kernel's major.minor) open: linux-image-6.12.118+deb12-amd64-unsigned ->
# ^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd[0-9]+-unsigned$ (the same kernel series and flavour).
lab_sibling_regex() {
    printf '%s\n' "$1" | sed 's/[.+]/\\&/g' | awk '{
        s = $0; out = ""; n = 0
        while (match(s, /[0-9]+/)) {
            n++; out = out substr(s, 1, RSTART - 1) (n > 2 ? "[0-9]+" : substr(s, RSTART, RLENGTH))
            s = substr(s, RSTART + RLENGTH)
        }
        print "^" out s "$" }'
}

# lab_pin_problems PACKAGE=VERSION...: lab_pin_check's lines for the archive as apt knows it now
# (one apt-cache madison for all of them: each call reads the whole package lists).
lab_pin_problems() {
    local spec p m all sib
    all="$(apt-cache madison "${@%%=*}" 2>/dev/null || true)"
    for spec in "$@"; do
        p="${spec%%=*}"
        m="$(awk -F'|' -v p="$p" '{ n = $1; gsub(/[ \t]/, "", n) } n == p' <<<"$all")"
        # Gone altogether: offer the newest three builds of the same series instead.
        if [[ -z "$m" ]]; then
            sib="$(apt-cache search --names-only "$(lab_sibling_regex "$p")" 2>/dev/null | cut -d' ' -f1 | sort -V | tail -n 3)"
            # shellcheck disable=SC2086 # one word per package name
            [[ -z "$sib" ]] || m="$(apt-cache madison $sib 2>/dev/null || true)"
        fi
        printf '%s\n' "$m" | lab_pin_check "$p" "${spec#*=}" || true
    done
}

# lab_require_pins PACKAGE=VERSION...: before anything is downloaded, every pinned version must be in
# the archive (bookworm-security drops old builds, e.g. of the 6.12 kernel). Runs apt-get update
# once when one is missing (a fresh machine has no or stale package lists), then dies naming each
# missing one and what the archive has instead, rather than failing later inside apt-get download.
lab_require_pins() {
    local problems
    problems="$(lab_pin_problems "$@")"
    [[ -z "$problems" ]] && return 0
    log "apt-get update (the package lists lack a pinned version)"
    apt-get update -qq >&2 || log "apt-get update failed; checking the lists as they are"
    problems="$(lab_pin_problems "$@")"
    [[ -z "$problems" ]] && return 0
    die "$(printf 'a pinned package version is no longer in Debian'"'"'s archive:\n%s\nPin a version the archive has (test/lab/lab-env.sh, or KERNEL_PACKAGE/KERNEL_VERSION for the kernel) and remake the captures (npm run lab -- --overwrite).' "$problems")"
}

# Runs the QEMU command line in the array named by $2 under QEMU_TIMEOUT, with the serial console
# in $1/serial.log, QEMU's stderr in $1/qemu-stderr.log, the command in $1/qemu-cmdline.txt and the
# wall time in $1/wall-seconds; stops the lab with the log tails when QEMU fails.
lab_run_qemu() {
    local out="$1"
    local -n cmd="$2"
    printf '%q ' "${cmd[@]}" >"$out/qemu-cmdline.txt"
    echo >>"$out/qemu-cmdline.txt"
    log "booting (timeout ${QEMU_TIMEOUT}s); serial -> $out/serial.log"
    local start end rc=0
    start=$(date +%s)
    timeout "$QEMU_TIMEOUT" "${cmd[@]}" </dev/null >"$out/serial.log" 2>"$out/qemu-stderr.log" || rc=$?
    end=$(date +%s)
    echo "$((end - start))" >"$out/wall-seconds"
    log "QEMU exited rc=$rc after $((end - start)) s"
    [[ $rc -eq 0 ]] || { tail -n 20 "$out/serial.log" >&2; cat "$out/qemu-stderr.log" >&2; die "QEMU failed (rc=$rc)"; }
}
