#!/usr/bin/env bash
# Initramfs of the cfgscope lab's ftrace scenarios (kexec, resets, sriov): see scenario-init.sh.
#
# Needs setup-host.sh first (kernel + modules in $LAB_CACHE). Adds kexec-tools: its binary needs
# libxenctrl 4.17 and friends, so kexec-tools and the libxen* packages are `apt-get download`ed
# and `dpkg -x`ed into $LAB_CACHE/kexec (not installed on the host); the binary and every library
# it loads (resolved with ldd) are copied into the initramfs.
#
# Writes two archives (newc cpio, gzip):
#   $LAB_CACHE/scenario-base.cpio.gz   busybox, /init = scenario-init.sh, the modules, kexec + libs,
#                                      the kernel image as /boot/vmlinuz;
#   $LAB_CACHE/scenario.cpio.gz        the base archive followed by a second archive holding
#                                      /boot/initrd-base.cpio.gz = the base archive. QEMU boots this
#                                      one; the first kernel kexecs into the second with the base
#                                      archive, so both kernels run the same /init and files.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

[[ -d "$LAB_CACHE/modules" && -e "$LAB_CACHE/vmlinuz" ]] || die "run setup-host.sh first"

# --- kexec-tools and the libraries of its binary --------------------------------------------
# (KEXEC_PACKAGES, each name=version: lab-env.sh.) A cache holding other versions is remade.
kx="$LAB_CACHE/kexec"
# (`if`, not `[[ ]] &&`: on an empty cache the glob stays literal, and a loop whose last test failed
# returns 1, which pipefail + set -e turned into a silent exit on every fresh machine.)
cached="$(for d in "$kx"/deb/*.deb; do if [[ -e $d ]]; then dpkg-deb -W --showformat='${Package}=${Version}\n' "$d"; fi; done | sort)"
if [[ ! -x "$kx/root/sbin/kexec" || "$cached" != "$(printf '%s\n' "${KEXEC_PACKAGES[@]}" | sort)" ]]; then
    lab_require_pins "${KEXEC_PACKAGES[@]}"
    rm -rf "$kx/deb"
    mkdir -p "$kx/deb"
    log "apt-get download ${KEXEC_PACKAGES[*]}"
    (cd "$kx/deb" && apt-get download "${KEXEC_PACKAGES[@]}")
    rm -rf "$kx/root"
    for d in "$kx"/deb/*.deb; do dpkg -x "$d" "$kx/root"; done
fi
kxlib="$kx/root/usr/lib/x86_64-linux-gnu"

stage="$LAB_CACHE/scenario.d"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc,boot,lib/lab-modules,lib/x86_64-linux-gnu,lib64,proc,sys,dev,tmp}
cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$LAB_DIR/scenario-init.sh" "$stage/init"
cp "$LAB_CACHE"/modules/*.ko "$LAB_CACHE"/modules/*.order "$stage/lib/lab-modules/"
cp -L "$LAB_CACHE/vmlinuz" "$stage/boot/vmlinuz"
cp "$kx/root/sbin/kexec" "$stage/sbin/kexec"
# every shared object the binary loads: from the unpacked packages first, then the host's libc
LD_LIBRARY_PATH="$kxlib" ldd "$kx/root/sbin/kexec" | awk '/=> \// { print $3 }' | while read -r so; do
    cp -L "$so" "$stage/lib/x86_64-linux-gnu/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
LD_LIBRARY_PATH="$kxlib" "$kx/root/sbin/kexec" --version >"$stage/etc/kexec-version" 2>&1 || true

mkcpio() { # mkcpio DIR -> gzip'd newc cpio on stdout (host busybox's cpio; no cpio package needed)
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) | gzip -1
}
mkcpio "$stage" >"$LAB_CACHE/scenario-base.cpio.gz"
nested="$LAB_CACHE/scenario-nested.d"
rm -rf "$nested"
mkdir -p "$nested/boot"
cp "$LAB_CACHE/scenario-base.cpio.gz" "$nested/boot/initrd-base.cpio.gz"
{ cat "$LAB_CACHE/scenario-base.cpio.gz"; mkcpio "$nested"; } >"$LAB_CACHE/scenario.cpio.gz"
log "initramfs: $LAB_CACHE/scenario.cpio.gz ($(du -h "$LAB_CACHE/scenario.cpio.gz" | cut -f1)); base $(sha256sum "$LAB_CACHE/scenario-base.cpio.gz" | cut -d' ' -f1)"
