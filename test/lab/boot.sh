#!/usr/bin/env bash
# Step 3 of the cfgscope QEMU lab: boot the guest once (TCG, no KVM needed).
#
# Writes $LAB_OUT/serial.log (the whole serial console) and $LAB_OUT/qemu-trace.log (QEMU's
# device-side pci_cfg_read/pci_cfg_write/fw_cfg_select trace of the same run).
# Extra kernel command line words can be given as arguments, e.g. `boot.sh lab.runs=text`.
#
# Devices (q35):
#   00:03.0, 00:04.0, 00:05.0  pcie-root-port (buses 1, 2, 3)
#   01:00.0 e1000e, 02:00.0 nvme (no drive), 03:00.0 virtio-net-pci (NICs without a netdev and
#   without option ROM), 00:06.0 virtio-9p-pci sharing the host's /usr read-only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

[[ -f "$LAB_CACHE/initramfs.cpio.gz" ]] || die "run build-initramfs.sh first"
mkdir -p "$LAB_OUT"
rm -f "$LAB_OUT/serial.log" "$LAB_OUT/qemu-trace.log"

append="console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr${*:+ $*}"

qemu=(
    "${LAB_MACHINE[@]}"
    -kernel "$LAB_CACHE/vmlinuz"
    -initrd "$LAB_CACHE/initramfs.cpio.gz"
    -append "$append"
    "${LAB_ROOT_PORTS[@]}"
    -device e1000e,bus=rp1,romfile=
    -device nvme,bus=rp2,serial=cfgscope-nvme0
    -device virtio-net-pci,bus=rp3,romfile=
    -fsdev local,id=hostusr,path=/usr,security_model=none,readonly=on
    -device virtio-9p-pci,fsdev=hostusr,mount_tag=hostusr,bus=pcie.0,addr=0x6
    -trace enable=pci_cfg_read -trace enable=pci_cfg_write -trace enable=fw_cfg_select
    -D "$LAB_OUT/qemu-trace.log"
)
lab_run_qemu "$LAB_OUT" qemu
