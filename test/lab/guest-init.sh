#!/bin/busybox sh
# /init of the cfgscope lab guest (busybox ash, runs as PID 1 from the initramfs).
#
# 1. mounts proc/sys/dev/tracefs/debugfs, loads virtio_pci + 9p, mounts the HOST's /usr
#    (shared read-only over 9p) under a tmpfs root /newroot with bin/lib/lib64/sbin links into
#    usr, so `chroot /newroot bpftrace ...` runs the host's bpftrace;
# 2. for each run mode (text, json, lost-text, lost-json; kernel cmdline `lab.runs=`; see
#    run_bpftrace below): starts bpftrace with /lab/cfgscope.bt in the background, waits until
#    it has attached (start banner), runs the driver phases (or the burst), stops bpftrace with
#    SIGINT (END runs, maps are printed), and prints its output file to the console between
#    `=====BEGIN BPFTRACE mode=M=====` / `=====END ...` lines, preceded by an
#    `[init] output mode=M bytes=N sha256=H` line to check the extraction;
# 3. poweroff -f.
#
# Device layout (see boot.sh): 01:00.0 e1000e, 02:00.0 nvme, 03:00.0 virtio-net,
# 00:06.0 virtio-9p (the /usr share; bound before tracing starts), 00:1f.3 ICH9 SMBus (marker).
# Phase markers: a 1-byte sysfs read of 00:1f.3 at 0xf0+N, after each phase's `[init]` line. It is
# a `layer=user op=r off=0xf<N>` event in the bpftrace output and a pci_cfg_read on the QEMU side.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /tmp
/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "[init] $* uptime=$(up)"; }
fail() { echo "[init] FAILED: $*"; poweroff -f; }

# Kernel messages would interleave with our console output: only emergencies.
echo 1 >/proc/sys/kernel/printk

MODDIR=/lib/lab-modules
# load GROUP: insmod GROUP's dependency closure (file GROUP.order), skipping loaded modules.
load() {
    while read -r m; do
        n=$(echo "$m" | tr - _)
        [ -d "/sys/module/$n" ] && continue
        insmod "$MODDIR/$m.ko" || fail "insmod $m"
    done <"$MODDIR/$1.order"
}

cmdline_arg() { # cmdline_arg NAME DEFAULT
    v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1)
    echo "${v:-$2}"
}
RUNS=$(cmdline_arg lab.runs text,json,lost-text,lost-json | tr , ' ')

say "reached /init kernel=$(uname -r)"
say "cmdline: $(cat /proc/cmdline)"

# --- the /usr share ---------------------------------------------------------------------
load virtio_pci
load 9pnet_virtio
load 9p
NR=/newroot
mkdir -p $NR
mount -t tmpfs -o size=256m tmpfs $NR
mkdir -p $NR/usr $NR/proc $NR/sys $NR/dev $NR/tmp $NR/etc $NR/lab
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostusr $NR/usr \
    || fail "mount 9p"
for d in bin lib lib64 sbin; do ln -s usr/$d $NR/$d; done
mount -t proc proc $NR/proc
mount -t sysfs sysfs $NR/sys
mount -t tracefs tracefs $NR/sys/kernel/tracing
mount -t debugfs debugfs $NR/sys/kernel/debug
mount -t devtmpfs devtmpfs $NR/dev
cp /etc/ld.so.cache $NR/etc/ 2>/dev/null || true
cp /lab/* $NR/lab/
say "host /usr mounted: $(chroot $NR bpftrace --version)"

# The virtio-net device was bound to virtio-pci together with the 9p device: unbind it so its
# probe happens in the traced virtio phase.
VNET=0000:03:00.0
[ -e /sys/bus/pci/drivers/virtio-pci/$VNET ] && echo $VNET >/sys/bus/pci/drivers/virtio-pci/unbind

say "PCI devices:"
for d in /sys/bus/pci/devices/*; do
    drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
    echo "  ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class=$(cat "$d/class") drv=$drv"
done

# marker N: 1-byte sysfs config read of 00:1f.3 at 0xf0+N (seen by the probe and by QEMU)
marker() {
    dd if=/sys/bus/pci/devices/0000:00:1f.3/config of=/dev/null bs=1 skip=$((0xf0 + $1)) count=1 2>/dev/null
}
phase() { # phase N TEXT...
    n=$1; shift
    say "mode=$MODE PHASE[$n] $*"
    marker "$n"
}

# Wait for the nvme controller to finish its (asynchronous) reset work.
wait_nvme() {
    i=0
    while [ "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)" != live ] && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    say "nvme0 state=$(cat /sys/class/nvme/nvme0/state 2>/dev/null)"
}

run_phases() {
    phase 0 tracing-started
    phase 1 insmod e1000e
    load e1000e
    phase 2 insmod nvme
    load nvme
    wait_nvme
    phase 3 insmod virtio_net + bind $VNET to virtio-pci
    load virtio_net
    echo $VNET >/sys/bus/pci/drivers/virtio-pci/bind
    phase 4 remove 0000:01:00.0 + rescan bus 0000:01
    echo 1 >/sys/bus/pci/devices/0000:01:00.0/remove
    echo 1 >/sys/class/pci_bus/0000:01/rescan
    phase 5 sysfs write 0000:02:00.0 cfg[0x0d]=0x20
    printf '\040' | dd of=/sys/bus/pci/devices/0000:02:00.0/config bs=1 seek=13 conv=notrunc 2>/dev/null
    phase 6 stop
}

# Undo run_phases so the next mode starts from the same state (drivers not loaded,
# virtio-net unbound). These accesses happen while nothing traces.
undo_phases() {
    echo $VNET >/sys/bus/pci/drivers/virtio-pci/unbind 2>/dev/null
    for m in virtio_net net_failover failover e1000e nvme nvme_core; do
        [ -d /sys/module/$m ] && { rmmod $m || fail "rmmod $m"; }
    done
}

# A burst for the lost-* modes: 4 full reads of 0000:02:00.0's 4 KB config space through sysfs
# (4 x 1024 dword reads) while bpftrace's perf ring buffer is one page per CPU. The kernel reports
# a CPU's lost records only with the next record written to that CPU's buffer, so once bpftrace
# has drained the burst, one dword is read on each CPU (taskset) to flush the pending `Lost N
# events` out; twice, each time after bpftrace's output stopped growing. Once after a fixed 2 s
# pause was not enough: on 6.12 at load 12 bpftrace had not emptied cpu0's page yet, that flush
# read was lost as well, and the lost-json run ended with 32 printed + 0 lost of 4098 counted.
run_burst() {
    dev=/sys/bus/pci/devices/0000:02:00.0/config
    phase 7 burst: 4 x cat $dev
    for i in 1 2 3 4; do cat $dev >/dev/null; done
    drain_output $NR$out
    phase 8 flush: one dword read of 0000:02:00.0 @0x0 on cpu0 and on cpu1, twice
    for round in 1 2; do
        taskset -c 0 dd if=$dev of=/dev/null bs=4 count=1 2>/dev/null
        taskset -c 1 dd if=$dev of=/dev/null bs=4 count=1 2>/dev/null
        drain_output $NR$out
    done
    phase 9 stop
}

# exited PID: true once the (child) process has exited (a zombie until `wait`) or is gone
exited() { ! grep -q '^State:[[:space:]]*[^Z]' /proc/$1/status 2>/dev/null; }

# drain_output FILE: wait until bpftrace's output has not grown for 2 s (at most 30 s). bpftrace 0.17
# exits on SIGINT without reading what is still in its perf buffers: the last few events of a run
# (seen: 4 of 505, and 25 of 78 writes under load) were missing with no `Lost` line.
drain_output() {
    last=-1 stable=0 i=0
    while [ $stable -lt 4 ] && [ $i -lt 60 ]; do
        size=$(wc -c <$1)
        if [ "$size" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
        last=$size
        sleep 0.5; i=$((i + 1))
    done
}

# stop_bpftrace PID: SIGINT (bpftrace runs END and prints its maps), then wait for it. bpftrace
# 0.17 has been seen (once in ~10 runs) not to exit after SIGINT; then its threads' kernel
# stacks are printed, SIGINT is sent once more, and at last SIGTERM/SIGKILL, each after 30 s.
stop_bpftrace() {
    for sig in INT INT TERM KILL; do
        kill -$sig $1 2>/dev/null
        i=0
        while ! exited $1 && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
        exited $1 && return 0
        say "mode=$MODE bpftrace still running 30 s after SIG$sig; its threads:"
        for t in /proc/$1/task/*; do
            echo "  task ${t##*/} $(cat $t/comm) wchan=$(cat $t/wchan 2>/dev/null)"
            sed 's/^/    /' $t/stack 2>/dev/null
        done
    done
}

# run_bpftrace MODE: one traced run; output in $NR/lab/out.MODE
#   text       bpftrace /lab/cfgscope.bt                  + run_phases
#   json       bpftrace -f json /lab/cfgscope.bt          + run_phases
#   lost-text  BPFTRACE_PERF_RB_PAGES=1 bpftrace /lab/cfgscope.bt 0 0 2 0          + run_burst
#   lost-json  BPFTRACE_PERF_RB_PAGES=1 bpftrace -f json /lab/cfgscope.bt 0 0 2 0  + run_burst
run_bpftrace() {
    MODE=$1
    out=/lab/out.$MODE
    err=/lab/err.$MODE
    fmt="" args="" envs="" scenario=run_phases
    case $MODE in
        text) ;;
        json) fmt="-f json" ;;
        lost-text) args="0 0 2 0" envs=BPFTRACE_PERF_RB_PAGES=1 scenario=run_burst ;;
        lost-json) fmt="-f json" args="0 0 2 0" envs=BPFTRACE_PERF_RB_PAGES=1 scenario=run_burst ;;
        *) fail "unknown mode $MODE" ;;
    esac
    say "mode=$MODE starting $envs bpftrace $fmt /lab/cfgscope.bt $args"
    # shellcheck disable=SC2086
    chroot $NR /usr/bin/env -i PATH=/usr/bin:/usr/sbin HOME=/tmp $envs \
        bpftrace $fmt /lab/cfgscope.bt $args >$NR$out 2>$NR$err &
    bt=$!
    i=0
    until grep -q 'cfgscope-bpftrace v1 start' $NR$out 2>/dev/null; do
        kill -0 $bt 2>/dev/null || { cat $NR$err; fail "bpftrace exited early"; }
        [ $i -ge 600 ] && fail "bpftrace did not attach in 300 s"
        sleep 0.5; i=$((i + 1))
    done
    say "mode=$MODE bpftrace attached: $(head -c 300 $NR$out | head -n 2 | tr '\n' '|')"
    if [ -x /lab/hook.sh ]; then
        . /lab/hook.sh
    else
        $scenario
    fi
    drain_output $NR$out
    stop_bpftrace $bt
    wait $bt
    say "mode=$MODE bpftrace exited rc=$?"
    say "output mode=$MODE bytes=$(wc -c <$NR$out) sha256=$(sha256sum <$NR$out | cut -d' ' -f1)"
    echo "=====BEGIN BPFTRACE mode=$MODE====="
    cat $NR$out
    # keep the end marker on its own line (the extraction checks bytes+sha256 either way)
    [ -n "$(tail -c 1 $NR$out)" ] && echo
    echo "=====END BPFTRACE mode=$MODE====="
    echo "=====BEGIN BPFTRACE-STDERR mode=$MODE====="
    cat $NR$err
    [ -n "$(tail -c 1 $NR$err)" ] && echo
    echo "=====END BPFTRACE-STDERR mode=$MODE====="
}

first=1
for MODE in $RUNS; do
    [ $first = 1 ] || undo_phases
    first=0
    run_bpftrace "$MODE"
done

say "done"
sync
poweroff -f
