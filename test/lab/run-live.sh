#!/bin/bash
# Live lab: `cfgscope capture` runs in the guest (real bpftrace, real kprobes) while drivers probe;
# a host-side client receives its violations through QEMU's user-net port forwarding while the guest
# is still probing; a second capture has its bpftrace killed. Host side then checks both captures
# and prints throughput and latency (test/lab/live-report.mjs), failing the run when a host client
# (ws client, `cfgscope watch`, headless Chromium on the served page) saw no violation before the guest
# said "probing done", when the clients disagree, or when a capture is not read whole. README.md:
# "Live capture".
#   bash test/lab/run-live.sh            (root; after setup-host.sh; QEMU_TIMEOUT, LIVE_PORT)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

[[ -d "$LAB_CACHE/modules" ]] || die "run setup-host.sh first"
[[ -f "$REPO_DIR/dist/cli/main.js" ]] || die "build first (npm run build)"
PORT="${LIVE_PORT:-17878}"
# The guest boots with `cfgscope boot-args`' fragment (ftrace-boot-args.txt) so that capture reads the
# boot-time trace first; LIVE_BOOT_ARGS=0 boots without it.
boot_args=""
[[ "${LIVE_BOOT_ARGS:-1}" == 1 ]] && boot_args="$(cat "$LAB_DIR/ftrace-boot-args.txt")"
out="$LAB_OUT/live"
rm -rf "$out"; mkdir -p "$out/guest"

stage="$LAB_CACHE/live.d"
rm -rf "$stage"; mkdir -p "$stage"/{bin,etc,lib/lab-modules,proc,sys,dev,tmp,newroot}
cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$LAB_DIR/live-init.sh" "$stage/init"
cp "$LAB_CACHE"/modules/*.ko "$LAB_CACHE"/modules/*.order "$stage/lib/lab-modules/"
cp /etc/ld.so.cache "$stage/etc/ld.so.cache"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$LAB_CACHE/live.cpio.gz"

node "$LAB_DIR/live-client.mjs" "$((PORT + 1))" "$out/client.log" &
client=$!
node "$LAB_DIR/live-ws-client.mjs" "ws://127.0.0.1:$PORT/ws?token=lab-token" "$out/ws.log" &
wsclient=$!
# cfgscope's own terminal client too (plain lines when not a terminal), each line stamped on arrival.
node "$REPO_DIR/bin/cfgscope.js" watch "ws://127.0.0.1:$PORT" --token lab-token --violations-only --until-end \
    2>"$out/watch.stderr" > >(node "$LAB_DIR/stamp-lines.mjs" >"$out/watch.log") &
watcher=$!
# Headless Chromium on the page capture --listen serves: every findings row it adds, stamped on arrival.
node "$LAB_DIR/live-browser-client.mjs" "http://127.0.0.1:$PORT/?token=lab-token" "$out/browser.log" 2>"$out/browser.stderr" &
browser=$!
qemu=(
    "${LAB_MACHINE[@]}"
    -kernel "$LAB_CACHE/vmlinuz" -initrd "$LAB_CACHE/live.cpio.gz"
    -append "console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr $boot_args"
    "${LAB_ROOT_PORTS[@]}"
    -device e1000e,bus=rp1,romfile=
    -device nvme,bus=rp2,serial=cfgscope-nvme0
    -device virtio-net-pci,bus=rp3,romfile=
    -fsdev local,id=hostusr,path=/usr,security_model=none,readonly=on
    -device virtio-9p-pci,fsdev=hostusr,mount_tag=hostusr,bus=pcie.0,addr=0x6
    -fsdev local,id=repo,path="$REPO_DIR",security_model=none,readonly=on
    -device virtio-9p-pci,fsdev=repo,mount_tag=repo,bus=pcie.0,addr=0x8
    -fsdev local,id=out,path="$out/guest",security_model=none
    -device virtio-9p-pci,fsdev=out,mount_tag=out,bus=pcie.0,addr=0x9
    -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-10.0.2.15:7878,hostfwd=tcp:127.0.0.1:$((PORT + 1))-10.0.2.15:7879
    -device virtio-net-pci,netdev=n0,bus=pcie.0,addr=0x7,romfile=
)
lab_run_qemu "$out" qemu
# watch and the browser client exit by themselves at the stream's end (--until-end; the page's end);
# given 30 s together (run-all.sh allows a scenario 60 s past its QEMU limit), then all are stopped.
for _ in $(seq 30); do kill -0 "$watcher" 2>/dev/null || kill -0 "$browser" 2>/dev/null || break; sleep 1; done
for p in "$watcher" "$browser" "$client" "$wsclient"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
node "$LAB_DIR/live-report.mjs" "$out"
