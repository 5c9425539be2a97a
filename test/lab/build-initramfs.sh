#!/usr/bin/env bash
# Step 2 of the cfgscope QEMU lab: the guest's initramfs (newc cpio, gzip).
#
# Contents: busybox-static (as /bin/busybox; /init installs its applet links), /init
# (guest-init.sh), the modules prepared by setup-host.sh with their *.order files under
# /lib/lab-modules, the probe as /lab/cfgscope.bt, the host's /etc/ld.so.cache (the guest runs the
# host's /usr), and optionally a debugging hook: LAB_GUEST_HOOK=file.sh is copied to /lab/hook.sh
# and sourced by /init instead of the driver phases (while bpftrace runs).
# Rebuilt on every call (a few seconds).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

[[ -d "$LAB_CACHE/modules" ]] || die "run setup-host.sh first"
[[ -f "$PROBE" ]] || die "no probe at $PROBE"

stage="$LAB_CACHE/initramfs.d"
rm -rf "$stage"
mkdir -p "$stage"/{bin,etc,lab,lib/lab-modules,proc,sys,dev,tmp,newroot}
cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$LAB_DIR/guest-init.sh" "$stage/init"
cp "$LAB_CACHE"/modules/*.ko "$LAB_CACHE"/modules/*.order "$stage/lib/lab-modules/"
cp "$PROBE" "$stage/lab/cfgscope.bt"
cp /etc/ld.so.cache "$stage/etc/ld.so.cache"
if [[ -n "${LAB_GUEST_HOOK:-}" ]]; then
    install -m 0755 "$LAB_GUEST_HOOK" "$stage/lab/hook.sh"
fi

# Host busybox's cpio applet writes the archive (the host may have no cpio package).
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) \
    | gzip -1 >"$LAB_CACHE/initramfs.cpio.gz"
log "initramfs: $LAB_CACHE/initramfs.cpio.gz ($(du -h "$LAB_CACHE/initramfs.cpio.gz" | cut -f1))"
