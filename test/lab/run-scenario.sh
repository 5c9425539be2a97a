#!/usr/bin/env bash
# One ftrace scenario of the cfgscope QEMU lab, end to end:
#   bash test/lab/run-scenario.sh kexec    # -> test/fixtures/lab-kexec/   (~30 s QEMU)
#   bash test/lab/run-scenario.sh resets   # -> test/fixtures/lab-resets/  (~25 s QEMU)
#   bash test/lab/run-scenario.sh sriov    # -> test/fixtures/lab-sriov/
#   bash test/lab/run-scenario.sh e1000e-on; bash test/lab/run-scenario.sh e1000e-off  # -> lab-e1000e-{on,off}/
# (also reachable as `bash test/lab/run-lab.sh kexec|resets|sriov|basic`). As root on Debian 12.
#   setup-host.sh                 packages, Debian kernel + modules (cached in test/lab/.cache)
#   build-scenario-initramfs.sh   busybox initramfs with scenario-init.sh as /init, kexec + libs, vmlinuz
#   boot-scenario.sh NAME         one QEMU (TCG) boot -> test/lab/out/NAME/{serial.log,qemu-trace.log}
#   make-scenario-fixture.sh NAME copies both logs + run-info.txt into test/fixtures/lab-NAME/
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
scenario="${1:?usage: run-scenario.sh kexec|kexec-handover|resets|sriov|e1000e-on|e1000e-off|basic [extra kernel cmdline words]}"
shift
case $scenario in kexec | kexec-handover | resets | sriov | e1000e-on | e1000e-off | basic) ;; *) echo "unknown scenario $scenario" >&2; exit 2 ;; esac

bash "$here/setup-host.sh"
bash "$here/build-scenario-initramfs.sh"
bash "$here/boot-scenario.sh" "$scenario" "$@"
bash "$here/make-scenario-fixture.sh" "$scenario"
