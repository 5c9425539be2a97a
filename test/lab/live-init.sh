#!/bin/busybox sh
# /init of the live lab guest (run-live.sh): `cfgscope capture` itself runs in the guest, from the
# repository shared read-only over 9p, with the host's /usr (node, bpftrace) as in guest-init.sh.
#   1. live:  capture --preserve 0000:01:00.0 --listen 0.0.0.0:7878 (websocket, hostfwd to the host) under
#             live-relay.mjs (its stdout, stamped, on TCP :7879),
#             waits for the host client, then 01:00.0 is rescanned and drivers are loaded while it runs; a config-read burst
#             for the throughput number; SIGINT to cfgscope (its Ctrl-C path).
#   2. kill:  capture again; bpftrace is killed with SIGKILL mid-capture (remove + rescan running).
#   3. ceiling: how many events/s cfgscope itself parses and judges in this guest (recorded input).
#   4. bpftrace alone under the relay: bpftrace's own share of the latency.
# Captures and logs are written to the guest's tmpfs (9p writes are slow under TCG and would be
# measured too) and copied to /out (a writable 9p share: run-live.sh's out dir); then poweroff.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing
echo 1 >/proc/sys/kernel/printk

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "[init] $* uptime=$(up)"; [ -n "$RELAY" ] && echo "$*" >>$NR/tmp/init.progress; }
fail() { echo "[init] FAILED: $*"; poweroff -f; }
MODDIR=/lib/lab-modules
load() {
    while read -r m; do
        n=$(echo "$m" | tr - _)
        [ -d "/sys/module/$n" ] && continue
        insmod "$MODDIR/$m.ko" || fail "insmod $m"
    done <"$MODDIR/$1.order"
}
marker() { dd if=/sys/bus/pci/devices/0000:00:1f.3/config of=/dev/null bs=1 skip=$((0xf0 + $1)) count=1 2>/dev/null; }
phase() { n=$1; shift; say "PHASE[$n] $*"; marker "$n"; }
exited() { ! grep -q '^State:[[:space:]]*[^Z]' /proc/$1/status 2>/dev/null; }
wait_for() { # wait_for FILE PATTERN SECONDS
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $i -ge $(($3 * 2)) ] && return 1
        sleep 0.5; i=$((i + 1))
    done
}

say "reached /init kernel=$(uname -r)"
NR=/newroot
load virtio_pci
load 9pnet_virtio
load 9p
mkdir -p $NR
mount -t tmpfs -o size=256m tmpfs $NR
mkdir -p $NR/usr $NR/proc $NR/sys $NR/dev $NR/tmp $NR/etc $NR/repo $NR/out
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostusr $NR/usr || fail "mount 9p usr"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 repo $NR/repo || fail "mount 9p repo"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out $NR/out || fail "mount 9p out"
for d in bin lib lib64 sbin; do ln -s usr/$d $NR/$d; done
mount -t proc proc $NR/proc
mount -t sysfs sysfs $NR/sys
mount -t tracefs tracefs $NR/sys/kernel/tracing
mount -t devtmpfs devtmpfs $NR/dev
cp /etc/ld.so.cache $NR/etc/ 2>/dev/null || true
echo "root:x:0:0:root:/tmp:/bin/sh" >$NR/etc/passwd
echo "127.0.0.1 localhost" >$NR/etc/hosts

# Network for the host link: the extra virtio-net at 00:07.0 (virtio-net 03:00.0 is a traced device:
# unbound first, bound again in the traced phase as in guest-init.sh).
VNET=0000:03:00.0
[ -e /sys/bus/pci/drivers/virtio-pci/$VNET ] && echo $VNET >/sys/bus/pci/drivers/virtio-pci/unbind
load virtio_net
ip link set lo up
NIC=$(basename /sys/bus/pci/devices/0000:00:07.0/virtio*/net/*)
ip link set "$NIC" up && ip addr add 10.0.2.15/24 dev "$NIC" && ip route add default via 10.0.2.2
say "host link on $NIC: $(ip -4 addr show dev "$NIC" | grep inet)"
say "node $(chroot $NR node --version), $(chroot $NR bpftrace --version)"

# A snapshot of the boot-time tracefs that capture will read first (host tests use it as a fixture).
mkdir -p $NR/out/tracefs
for f in kprobe_events set_ftrace_filter current_tracer trace_clock trace; do cat /sys/kernel/tracing/$f >$NR/out/tracefs/$f; done

CAP="/usr/bin/env -i PATH=/usr/bin:/usr/sbin HOME=/tmp node /repo/bin/cfgscope.js capture"

# ---- 1. live -----------------------------------------------------------------------------------
rm -f $NR/out/live.*
chroot $NR /usr/bin/env -i PATH=/usr/bin:/usr/sbin HOME=/tmp node /repo/test/lab/live-relay.mjs 7879 /tmp/init.progress /tmp/live.relay /tmp/capture.pid -- \
    /usr/bin/node /repo/bin/cfgscope.js capture -o /tmp/live.ndjson --preserve 0000:01:00.0 --stop-wait 120 \
    --listen 0.0.0.0:7878 --token lab-token 2>$NR/out/live.stderr &
relay=$!
RELAY=1
wait_for $NR/tmp/live.relay 'bpftrace attached' 600 || { cat $NR/out/live.stderr; fail "capture did not start"; }
say "capture attached; waiting for the host clients"
wait_for $NR/tmp/live.relay 'relay: client connected' 300 || fail "no host client"
# The websocket client retries every second; whatever it misses it resumes from seq 1 anyway.
sleep 2
phase 0 live capture running
# The preserved 0000:01:00.0 is rescanned first, so its violations (BAR sizing) cross to the host
# while the drivers of the later phases are still probing.
phase 1 remove 0000:01:00.0 + rescan bus 0000:01
echo 1 >/sys/bus/pci/devices/0000:01:00.0/remove
echo 1 >/sys/class/pci_bus/0000:01/rescan
phase 2 insmod e1000e
load e1000e
# The remaining probes wait (at most 60 s) until cfgscope has printed the first violation: on an
# idle host the whole probe sequence is over in about a second, less than bpftrace's own delivery
# delay (~0.7 s median here), and this run must show violations reaching the host while drivers
# are still being probed. The host clients' receipt is still checked on their own clock.
say "holding the nvme and virtio-net probes until cfgscope reports a violation"
wait_for $NR/tmp/live.relay 'VIOLATION' 60 || say "no violation out of cfgscope after 60 s; probing on"
phase 3 insmod nvme
load nvme
phase 4 bind $VNET to virtio-pci
echo $VNET >/sys/bus/pci/drivers/virtio-pci/bind
say "probing done"
phase 5 burst: 8 x cat 0000:02:00.0/config
for i in 1 2 3 4 5 6 7 8; do cat /sys/bus/pci/devices/0000:02:00.0/config >/dev/null; done
phase 6 stop
sleep 3
cap=$(cat $NR/tmp/capture.pid)
say "SIGINT to cfgscope pid $cap"
kill -INT "$cap"
i=0; while ! exited $relay && [ $i -lt 400 ]; do sleep 0.5; i=$((i + 1)); done
RELAY=
cp $NR/tmp/live.relay $NR/tmp/live.ndjson $NR/out/
echo "[init] live capture done: $(tail -n 4 $NR/out/live.stderr | tr '\n' '|')"

# ---- 2. kill bpftrace mid-capture ----------------------------------------------------------------
rm -f $NR/out/kill.*
chroot $NR $CAP -o /tmp/kill.ndjson --preserve 0000:01:00.0 >$NR/out/kill.stdout 2>$NR/out/kill.stderr &
cappid=$!
wait_for $NR/out/kill.stdout 'bpftrace attached' 600 || { cat $NR/out/kill.stderr; fail "second capture did not start"; }
phase 7 remove 0000:01:00.0 + rescan, bpftrace killed meanwhile
echo 1 >/sys/bus/pci/devices/0000:01:00.0/remove
echo 1 >/sys/class/pci_bus/0000:01/rescan &
sleep 1
bt=$(pidof bpftrace)
say "SIGKILL to bpftrace pid $bt"
kill -KILL $bt
wait
cp $NR/tmp/kill.ndjson $NR/out/
echo "[init] kill capture done: $(tail -n 3 $NR/out/kill.stderr | tr '\n' '|')"
# ---- 3. cfgscope's own ceiling under TCG: recorded probe output (40 x the lab's text fixture) fed
# through the same live path by `--bpftrace cat`; a 1-event-block file gives the startup baseline.
F=/repo/test/fixtures/bpftrace/probe-phases.txt
for i in $(seq 40); do cat $NR$F; done >$NR/tmp/big.txt
head -n 40 $NR$F >$NR/tmp/small.txt
for f in small big; do
    t0=$(up)
    chroot $NR $CAP -o /tmp/$f.ndjson --no-preflight --bpftrace /usr/bin/cat --probe /tmp/$f.txt --preserve 0000:01:00.0 >/dev/null 2>$NR/out/ceiling.$f.stderr
    echo "ceiling $f events=$(grep -c '^ev ' $NR/tmp/$f.txt) seconds=$(echo "$(up) $t0" | awk '{ printf "%.2f", $1 - $2 }')" >>$NR/out/ceiling.txt
done
echo "[init] $(tr '\n' '|' <$NR/out/ceiling.txt)"
# ---- 4. bpftrace alone, its stdout stamped by the relay (no client): how much of the latency is
# bpftrace's own (perf buffer wakeups, kstack symbolisation under TCG), the same rescan as phase 1.
chroot $NR /usr/bin/env -i PATH=/usr/bin:/usr/sbin HOME=/tmp node /repo/test/lab/live-relay.mjs 7880 /tmp/raw.progress /tmp/raw.relay /tmp/raw.pid -- \
    /usr/bin/bpftrace /repo/probes/cfgscope.bt 2>$NR/out/raw.stderr &
wait_for $NR/tmp/raw.relay 'cfgscope-bpftrace v1 start' 600 || fail "bpftrace alone did not start"
phase 8 bpftrace alone: remove 0000:01:00.0 + rescan
echo 1 >/sys/bus/pci/devices/0000:01:00.0/remove
echo 1 >/sys/class/pci_bus/0000:01/rescan
sleep 3
kill -INT "$(cat $NR/tmp/raw.pid)"
wait
cp $NR/tmp/raw.relay $NR/out/
echo "[init] bpftrace alone done: $(grep -c ' ev op=' $NR/out/raw.relay) events"
sync
poweroff -f
