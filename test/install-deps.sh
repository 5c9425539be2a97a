#!/usr/bin/env bash
# What the tests need from Debian 12 beyond Node.js, installed when missing (root). The README's
# test command and .ci/run both start with this script. The QEMU lab installs its own packages
# (test/lab/setup-host.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# setpci (pciutils) is the oracle of the register-name tests, bpftool of the BTF reader; pci.ids
# gives device names; binutils: objcopy builds an ELF carrying BTF, addr2line/objdump are the
# symbolization oracle. Debian's chromium runs the web page's end-to-end tests (playwright-core
# with executablePath /usr/bin/chromium: no browser download); script(1) (bsdutils) gives the
# watch client's terminal test a pseudo-terminal. nats-server (2.9) is the JetStream engine the
# fleet tests start on loopback ports (single server and a 3-node cluster).
missing=()
command -v setpci >/dev/null 2>&1 || missing+=(pciutils)
[ -e /usr/share/misc/pci.ids ] || missing+=(pci.ids)
command -v bpftool >/dev/null 2>&1 || missing+=(bpftool)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The kernel's debug info (Debian's linux-image-*-dbg, 858 MB download, 10-20 s here; extraction
# 30 s to 2 min) for the --vmlinux/--modules tests (test/symbols/). When the download fails those
# tests are skipped with the reason printed and counted; the rest still run.
bash test/lab/setup-debug.sh || echo "WARNING: test/lab/setup-debug.sh failed: the symbolization tests will be skipped" >&2
# The same for the lab's 6.12 kernel (linux-image-6.12.118+deb12-amd64-dbg, 1034 MB download, keeps 369 MB;
# extraction 1-3 min) for test/symbols/symbolize-lab-6.12.test.ts, in its own cache folder.
LAB_KERNEL=6.12 bash test/lab/setup-debug.sh || echo "WARNING: LAB_KERNEL=6.12 test/lab/setup-debug.sh failed: the 6.12 symbolization tests will be skipped" >&2
