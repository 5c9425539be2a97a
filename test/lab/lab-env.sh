# shellcheck shell=bash
# Common settings of the cfgscope QEMU lab. Sourced by the other scripts; not run directly.
# Every path can be overridden from the environment.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LAB_DIR/../.." && pwd)"

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

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
FIXTURE_DIR="${FIXTURE_DIR:-$REPO_DIR/test/fixtures/bpftrace}"

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

# Host packages the lab needs (Debian bookworm).
HOST_PACKAGES=(qemu-system-x86 busybox-static bpftrace bpftool xz-utils zstd binutils)

# Kernel modules the guest loads; their dependencies are resolved from .modinfo.
GUEST_MODULES=(9p 9pnet_virtio virtio_pci e1000e nvme virtio_net)

# The pinned kernel package as apt names one version of it (name=version), once the package
# lists know it; empty otherwise.
lab_kernel_package() {
    apt-cache madison "$KERNEL_PACKAGE" 2>/dev/null | awk -v v="$KERNEL_VERSION" '$3 == v { found = 1 } END { exit !found }' \
        && printf '%s=%s\n' "$KERNEL_PACKAGE" "$KERNEL_VERSION"
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
