#!/usr/bin/env bash
# The whole cfgscope QEMU lab, end to end (about 1-2 minutes after the first setup):
#   setup-host.sh       packages, Debian kernel + modules (cached in test/lab/.cache)
#   build-initramfs.sh  busybox initramfs with guest-init.sh as /init and probes/cfgscope.bt
#   boot.sh             one QEMU (TCG) boot: bpftrace text run + json run, serial + QEMU trace logs
#   extract-fixtures.sh test/fixtures/bpftrace/{probe-phases.txt,probe-phases.json,...}
# Run as root on Debian 12 (bookworm): bash test/lab/run-lab.sh
#
# The ftrace scenarios (kexec Live Update, sysfs resets, SR-IOV; see run-scenario.sh):
#   bash test/lab/run-lab.sh kexec|resets|sriov|basic
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"

case "${1:-}" in
    kexec | resets | sriov | basic) exec bash "$here/run-scenario.sh" "$@" ;;
esac

bash "$here/setup-host.sh"
bash "$here/build-initramfs.sh"
bash "$here/boot.sh" "$@"
bash "$here/extract-fixtures.sh"
