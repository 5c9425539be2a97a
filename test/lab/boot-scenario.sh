#!/usr/bin/env bash
# One QEMU (TCG) boot of an ftrace scenario: bash boot-scenario.sh kexec|resets|sriov|basic [extra cmdline words]
#
# Kernel command line: `console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr`, the ftrace boot
# fragment (6.1: ftrace-boot-args.txt, verbatim from the qemu-6.1-q35-basic run; 6.12: `cfgscope
# boot-args` of the kernel booted), `lab.scenario=NAME`.
# Writes $LAB_OUT/NAME/serial.log (serial console), $LAB_OUT/NAME/qemu-trace.log (QEMU's
# pci_cfg_read/pci_cfg_write/fw_cfg_select trace), qemu-cmdline.txt, qemu-stderr.log, wall-seconds.
#
# Devices (q35): pcie-root-port 00:03.0/00:04.0/00:05.0 (buses 1-3) with e1000e 01:00.0,
# nvme 02:00.0 (no drive) and virtio-net-pci 03:00.0 (no netdev, no option ROM). For `sriov` the
# nvme is an SR-IOV PF in an nvme-subsys (QEMU 7.2: sriov_max_vfs + flexible queue/interrupt pools).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

scenario="${1:?usage: boot-scenario.sh kexec|resets|sriov|basic [cmdline words]}"
shift
[[ -f "$LAB_CACHE/scenario.cpio.gz" ]] || die "run build-scenario-initramfs.sh first"
out="$LAB_OUT/$scenario"
mkdir -p "$out"
rm -f "$out/serial.log" "$out/qemu-trace.log"

extra=()
# The e1000e pair prints stack frames with offsets (func+0x1a/0x40), for symbolization: the
# kernel keeps the last trace_options= of the command line.
[[ $scenario == e1000e-* ]] && extra=(trace_options=stacktrace,func_stack_trace,sym-offset)
# kexec-handover: `boot-args --handover` adds a fixed region (the same in both kernels, nokaslr)
# and the persistent trace instance mapped onto it, off at boot so the second kernel keeps the
# first one's records.
handover=()
[[ $scenario == kexec-handover ]] && handover=(--handover)
# The ftrace boot fragment: on 6.1 the one the committed captures were made with, verbatim
# (ftrace-boot-args.txt); on other kernels what `cfgscope boot-args` makes from that kernel's BTF
# (on 6.12: return probes on the read accessors, with the value read; needs `npm run build`).
if [[ $LAB_KERNEL == 6.1 ]]; then
    fragment="$(cat "$LAB_DIR/ftrace-boot-args.txt")"
else
    fragment="$(node "$REPO_DIR/bin/cfgscope.js" boot-args --kernel "$LAB_CACHE/vmlinux" "${handover[@]}" 2>"$out/boot-args.log")" \
        || { cat "$out/boot-args.log" >&2; die "cfgscope boot-args failed (npm run build first?)"; }
    printf '%s\n' "$fragment" >"$out/boot-args.txt"
fi
append="console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr $fragment ${extra[*]:+${extra[*]} }lab.scenario=$scenario${*:+ $*}"

nvme=(-device nvme,bus=rp2,serial=cfgscope-nvme0)
if [[ $scenario == sriov ]]; then
    # 1 VF; the PF's flexible pools must cover the VF's queues (1 + 1 admin) and interrupts.
    nvme=(-device nvme-subsys,id=subsys0,nqn=cfgscope
          -device "nvme,bus=rp2,serial=cfgscope-nvme0,subsys=subsys0,max_ioqpairs=4,msix_qsize=5,sriov_max_vfs=1,sriov_vq_flexible=2,sriov_vi_flexible=1")
fi

# kexec-handover: cfgscope runs in the guest (scenario-init.sh): the host's /usr read-only (node,
# bpftrace) and a writable share holding what `npm run build` made of cfgscope (the launcher, the
# bundle, the probe, package.json) and the host's ld.so.cache; the guest copies its captures to
# its out/ folder. Two virtio-9p devices on the root bus (00:06.0, 00:07.0), in both kernels.
share=()
if [[ $scenario == kexec-handover ]]; then
    sh="$out/share"
    rm -rf "$sh"
    mkdir -p "$sh/app/bin" "$sh/app/dist/bundle" "$sh/app/probes" "$sh/etc" "$sh/out"
    [[ -f "$REPO_DIR/dist/bundle/cfgscope.mjs" ]] || die "build first (npm run build)"
    cp "$REPO_DIR/bin/cfgscope.js" "$sh/app/bin/"
    cp "$REPO_DIR/dist/bundle/cfgscope.mjs" "$sh/app/dist/bundle/"
    cp "$REPO_DIR/probes/cfgscope.bt" "$sh/app/probes/"
    cp "$REPO_DIR/package.json" "$sh/app/"
    cp /etc/ld.so.cache "$sh/etc/"
    share=(
        -fsdev local,id=hostusr,path=/usr,security_model=none,readonly=on
        -device virtio-9p-pci,fsdev=hostusr,mount_tag=hostusr,bus=pcie.0,addr=0x6
        -fsdev local,id=lab,path="$sh",security_model=none
        -device virtio-9p-pci,fsdev=lab,mount_tag=lab,bus=pcie.0,addr=0x7
    )
fi

qemu=(
    "${LAB_MACHINE[@]}"
    -kernel "$LAB_CACHE/vmlinuz"
    -initrd "$LAB_CACHE/scenario.cpio.gz"
    -append "$append"
    "${LAB_ROOT_PORTS[@]}"
    -device e1000e,bus=rp1,romfile=
    "${nvme[@]}"
    -device virtio-net-pci,bus=rp3,romfile=
    "${share[@]}"
    -trace enable=pci_cfg_read -trace enable=pci_cfg_write -trace enable=fw_cfg_select
    -D "$out/qemu-trace.log"
)
lab_run_qemu "$out" qemu
