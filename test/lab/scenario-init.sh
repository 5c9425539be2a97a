#!/bin/busybox sh
# /init of the cfgscope lab's ftrace scenarios (busybox ash, PID 1 from the initramfs built by
# build-scenario-initramfs.sh). The kernel command line carries the ftrace boot fragment of
# ftrace-boot-args.txt (kprobe events on the config accessors, function tracer with stacks on
# pci_bus_write_config_*, trace_clock=global) and `lab.scenario=NAME`:
#
#   kexec   stage 1: driver phases, trace dump, then `kexec -l` the same kernel with the same
#           base initramfs and the same command line + `lab.stage=2`, and `kexec -e` with the
#           drivers still bound. Stage 2 (the second kernel; /init sees lab.stage=2 in
#           /proc/cmdline): driver phases again, trace dump, poweroff.
#   kexec-handover  kexec, with cfgscope itself in the guest (capture in each kernel, capture
#           --arm-handover before kexec -e): the first kernel's shutdown recorded in 6.12's
#           persistent ring buffer and read by the second kernel's capture (see below).
#   resets  driver phases, then FLR, PM reset and secondary bus reset through sysfs, each in
#           its own phase, trace dump, poweroff.
#   sriov   driver phases, then `echo 1 > sriov_numvfs` on the nvme PF, trace dump, poweroff.
#   basic   the run of the replays/qemu-6.1-q35-basic capture, with its phase labels: driver
#           phases, remove + rescan of 0000:01:00.0, a one-byte sysfs config write to 0000:02:00.0
#           at 0x0d, trace dump, poweroff.
#
# Console format (what cfgscope's ftrace parser reads): `[init] ...` lines, the kernel log between
# `=====BEGIN DMESG stage=S=====`/`=====END DMESG stage=S=====`, and /sys/kernel/tracing/trace
# between `=====BEGIN TRACE stage=S=====`/`=====END TRACE stage=S=====`.
#
# Phase markers: `PHASE[n] text` written to trace_marker (in the kernel trace), echoed as an
# `[init] stage=S PHASE[n] text` line, then a 1-byte sysfs read of 0000:00:1f.3's config at
# 0xf0+n (a `urb ... devfn=0xfb where=0xf<n>` kprobe event, and a
# `pci_cfg_read ICH9-SMB 00:1f.3 @0xf<n>` line in QEMU's device log). Phase numbers are unique
# across the two kexec stages (stage 2 continues the numbering), so each 00:1f.3 read in QEMU's
# log names exactly one phase.
#
# Devices (boot-scenario.sh): root ports 00:03.0/00:04.0/00:05.0 with e1000e 01:00.0,
# nvme 02:00.0 and virtio-net 03:00.0; no 9p share (nothing from the host's /usr is needed).

export PATH=/bin:/sbin
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /tmp
/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
T=/sys/kernel/tracing

up() { cut -d' ' -f1 /proc/uptime; }
cmdline_arg() { # cmdline_arg NAME DEFAULT
    v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1)
    echo "${v:-$2}"
}
SCENARIO=$(cmdline_arg lab.scenario kexec)
STAGE=$(cmdline_arg lab.stage 1)

say() { echo "[init] stage=$STAGE scenario=$SCENARIO $*"; }
fail() { echo "[init] stage=$STAGE FAILED: $*"; sync; poweroff -f; }

# Kernel messages would interleave with our console output: only emergencies on the console.
echo 1 >/proc/sys/kernel/printk

say "reached /init at uptime=$(up) kernel=$(uname -r)"
echo "[init] cmdline: $(cat /proc/cmdline)"
echo "[init] kprobe_events:"
cat $T/kprobe_events
# Boot-time kprobe events are enabled by the kernel; make sure (a no-op when they are).
echo 1 >$T/events/pci/enable 2>/dev/null
echo "[init] current_tracer=$(cat $T/current_tracer) buffer_size_kb=$(cat $T/buffer_total_size_kb) trace_clock=$(cat $T/trace_clock) events/pci/enable=$(cat $T/events/pci/enable)"

MODDIR=/lib/lab-modules
load() { # load GROUP: insmod GROUP's dependency closure (GROUP.order), skipping loaded modules
    while read -r m; do
        n=$(echo "$m" | tr - _)
        [ -d "/sys/module/$n" ] && continue
        insmod "$MODDIR/$m.ko" || fail "insmod $m"
    done <"$MODDIR/$1.order"
}

# virtio: 6.1 builds virtio_pci as a module, loaded in the virtio phase; 6.12 builds it in (no
# virtio_pci.ko in the initramfs), and it binds 03:00.0 during boot. /init unbinds it before
# phase 0 (virtio_pci_early_unbind) and binds it again in the virtio phase, after virtio_net is
# loaded, so the device's probe still happens in that phase on both kernels.
VNET=0000:03:00.0
virtio_pci_early_unbind() {
    [ -e $MODDIR/virtio_pci.ko ] && return 0
    if [ -e /sys/bus/pci/drivers/virtio-pci/$VNET ]; then
        echo $VNET >/sys/bus/pci/drivers/virtio-pci/unbind || fail "unbind $VNET from the built-in virtio-pci"
        say "virtio_pci is built in: $VNET unbound until the virtio phase"
    fi
}
load_virtio() {
    if [ -e $MODDIR/virtio_pci.ko ]; then
        load virtio_pci
        load virtio_net
    else
        load virtio_net
        echo $VNET >/sys/bus/pci/drivers/virtio-pci/bind || fail "bind $VNET to virtio-pci"
    fi
}

list_devices() {
    echo "[init] PCI devices:"
    for d in /sys/bus/pci/devices/*; do
        drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
        echo "  ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class=$(cat "$d/class") drv=$drv"
    done
}

marker() { # marker N: 1-byte sysfs config read of 00:1f.3 at 0xf0+N (kernel trace + QEMU log)
    dd if=/sys/bus/pci/devices/0000:00:1f.3/config of=/dev/null bs=1 skip=$((0xf0 + $1)) count=1 2>/dev/null
}
phase() { # phase N TEXT...
    n=$1; shift
    echo "PHASE[$n] $* (stage $STAGE)" >$T/trace_marker
    echo "[init] stage=$STAGE PHASE[$n] $* (stage $STAGE) uptime=$(up)"
    marker "$n"
}

wait_nvme() { # the nvme controller's reset work is asynchronous: wait until it is live
    i=0
    while [ "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)" != live ] && [ $i -lt 150 ]; do
        sleep 0.1; i=$((i + 1))
    done
    say "nvme0 state=$(cat /sys/class/nvme/nvme0/state 2>/dev/null)"
}

# phase_as_basic N TEXT...: a phase labelled exactly like the qemu-6.1-q35-basic run's markers
# (that run's prototype /init added no `(stage S)` suffix to phases 1-5).
phase_as_basic() {
    n=$1; shift
    echo "PHASE[$n] $*" >$T/trace_marker
    echo "[init] stage=$STAGE PHASE[$n] $* uptime=$(up)"
    marker "$n"
}

# driver_phases FIRST: insmod e1000e / nvme / virtio (phases FIRST .. FIRST+2)
driver_phases() {
    phase $1 insmod e1000e
    load e1000e
    phase $(($1 + 1)) insmod nvme
    load nvme
    wait_nvme
    phase $(($1 + 2)) insmod virtio
    load_virtio
}

# cfg_snapshot: first 256 bytes of each endpoint's config space, read through sysfs (call it
# with tracing off: these reads are not part of any phase; QEMU's log still shows them).
cfg_snapshot() {
    for d in 0000:01:00.0 0000:02:00.0 0000:03:00.0; do
        [ -e /sys/bus/pci/devices/$d/config ] || continue
        echo "[init] config $d ($1):"
        # one 256-byte read (hexdump alone would read all 4096 bytes of the file)
        dd if=/sys/bus/pci/devices/$d/config bs=256 count=1 2>/dev/null | hexdump -v -e '"  " 16/1 "%02x " "\n"'
    done
}

dump_trace() {
    echo 0 >$T/tracing_on
    echo "[init] per-cpu stats:"
    for c in $T/per_cpu/cpu*; do
        echo "  ${c##*/}: $(grep -E '^(entries|overrun|commit overrun):' $c/stats | tr '\n' ' ')"
    done
    echo "=====BEGIN DMESG stage=$STAGE====="
    dmesg
    echo "=====END DMESG stage=$STAGE====="
    echo "=====BEGIN TRACE stage=$STAGE====="
    cat $T/trace
    echo "=====END TRACE stage=$STAGE====="
    say "dump finished at uptime=$(up)"
}

finish() {
    say "poweroff"
    sync
    poweroff -f
}

# --- the scenarios ------------------------------------------------------------------------

scenario_kexec_stage1() {
    list_devices
    phase 0 boot-complete
    driver_phases 1
    list_devices
    phase 4 dump
    dump_trace
    cfg_snapshot "left by stage 1, before kexec -e"
    # Stage 2 gets the base initramfs (the same files minus this nested copy of itself) and the
    # same command line plus lab.stage=2.
    cmd="$(cat /proc/cmdline) lab.stage=2"
    say "kexec -l /boot/vmlinuz --initrd=/boot/initrd-base.cpio.gz (sha256 $(sha256sum /boot/initrd-base.cpio.gz | cut -d' ' -f1))"
    LD_LIBRARY_PATH=/lib/x86_64-linux-gnu /sbin/kexec -l /boot/vmlinuz \
        --initrd=/boot/initrd-base.cpio.gz --command-line="$cmd" || fail "kexec -l"
    say "loaded: /sys/kernel/kexec_loaded=$(cat /sys/kernel/kexec_loaded)"
    # Marker 5 is only in QEMU's device log (the stage-1 trace is already dumped): what QEMU sees
    # between this read and the second kernel's first accesses is the old kernel's shutdown
    # (driver .shutdown, pci_device_shutdown -> pci_clear_master).
    echo 1 >$T/tracing_on
    phase 5 kexec -e
    sync
    LD_LIBRARY_PATH=/lib/x86_64-linux-gnu /sbin/kexec -e
    fail "kexec -e returned"
}

# kexec-handover (6.12): the kexec scenario with the first kernel's shutdown traced from the kernel
# side, through 6.12's persistent ring buffer, by cfgscope itself: every command of the README's
# "Live Update procedure" runs here as a user runs it. The command line of both kernels carries
# `cfgscope boot-args --handover` (boot-scenario.sh: the kprobe events, a fixed memory region and
# the trace instance boot_map mapped onto it). node and bpftrace come from the host's /usr (9p,
# read-only, mount tag hostusr), cfgscope (bin/, the bundle, the probe) from a writable 9p share
# (mount tag lab) where the captures are copied; both are mounted on a tmpfs root and cfgscope
# runs chrooted into it, as in live-init.sh.
#   stage 1: `cfgscope boot-args --handover` (must be on /proc/cmdline already), `cfgscope capture`
#            during the driver phases (kernel 1's capture: its last state), stopped with SIGINT;
#            `kexec -l`; `cfgscope capture --arm-handover` (the instance armed: events, stacks,
#            module addresses, the PHASE[5] marker); `kexec -e`.
#   stage 2: `cfgscope capture` during the driver phases: it reads the previous boot's buffer first
#            (the kernel log says "Ring buffer meta [N] is from previous boot!") as the handover.
# The console also gets the instance's trace (dump_handover, the lab's own copy for the serial-log
# import and crosscheck) and each kernel's global trace (dump_trace), as in the kexec scenario.
H=$T/instances/boot_map
NR=/newroot
CFG="/usr/bin/env -i PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/tmp node /lab/app/bin/cfgscope.js"
handover_env() {
    load 9pnet_virtio
    load 9p
    mkdir -p $NR
    mount -t tmpfs -o size=256m tmpfs $NR
    mkdir -p $NR/usr $NR/proc $NR/sys $NR/dev $NR/tmp $NR/etc $NR/lab
    mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostusr $NR/usr || fail "mount 9p hostusr"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 lab $NR/lab || fail "mount 9p lab"
    for d in bin lib lib64 sbin; do ln -s usr/$d $NR/$d; done
    mount -t proc proc $NR/proc
    mount -t sysfs sysfs $NR/sys
    mount -t tracefs tracefs $NR/sys/kernel/tracing
    mount -t devtmpfs devtmpfs $NR/dev
    cp $NR/lab/etc/ld.so.cache $NR/etc/
    echo "root:x:0:0:root:/tmp:/bin/sh" >$NR/etc/passwd
    say "chroot ready: node $(chroot $NR node --version), $(chroot $NR bpftrace --version)"
}
cfgscope() { chroot $NR $CFG "$@"; }
wait_for() { # wait_for FILE PATTERN SECONDS
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $i -ge $(($3 * 2)) ] && return 1
        sleep 0.5; i=$((i + 1))
    done
}
# capture_start NAME: `cfgscope capture -o /tmp/NAME.capture.ndjson --preserve 03:00.0` in the
# background until bpftrace is attached; capture_stop: SIGINT (Ctrl-C), its exit awaited.
# --stop-wait 120: bpftrace 0.17 under TCG on a loaded host once needed more than the default 30 s
# to run END after SIGINT (the capture was then closed incomplete).
capture_start() {
    CAPNAME=$1
    say "cfgscope capture -o /tmp/$CAPNAME.capture.ndjson --preserve $VNET"
    chroot $NR $CFG capture -o /tmp/$CAPNAME.capture.ndjson --preserve $VNET --stop-wait 120 \
        >$NR/tmp/$CAPNAME.stdout 2>$NR/tmp/$CAPNAME.stderr &
    CAPPID=$!
    wait_for $NR/tmp/$CAPNAME.stdout 'bpftrace attached' 300 || { cat $NR/tmp/$CAPNAME.stderr; fail "capture $CAPNAME did not start"; }
    say "capture $CAPNAME running (pid $CAPPID): $(grep -E 'handover|boot trace' $NR/tmp/$CAPNAME.stderr | tr '\n' '|')"
}
capture_stop() {
    kill -INT $CAPPID
    rc=0; wait $CAPPID || rc=$?
    say "capture $CAPNAME exited $rc: $(tail -n 4 $NR/tmp/$CAPNAME.stderr | tr '\n' '|')"
    cp $NR/tmp/$CAPNAME.capture.ndjson $NR/tmp/$CAPNAME.stdout $NR/tmp/$CAPNAME.stderr $NR/lab/out/ || fail "copy $CAPNAME to the lab share"
}
scenario_handover_stage1() {
    handover_env
    list_devices
    phase 0 boot-complete
    # The README's first step prints the fragment; here it is on the command line already.
    frag=$(cfgscope boot-args --handover 2>$NR/lab/out/boot-args.stderr) || fail "cfgscope boot-args --handover"
    echo "$frag" >$NR/lab/out/boot-args.txt
    case " $(cat /proc/cmdline) " in *" $frag "*) say "boot-args --handover: its fragment is on /proc/cmdline" ;;
        *) fail "boot-args --handover printed a fragment that is not on /proc/cmdline" ;; esac
    capture_start kernel1
    driver_phases 1
    list_devices
    phase 4 dump
    capture_stop
    dump_trace
    cfg_snapshot "left by stage 1, before kexec -e"
    cmd="$(cat /proc/cmdline) lab.stage=2"
    say "kexec -l /boot/vmlinuz --initrd=/boot/initrd-base.cpio.gz (sha256 $(sha256sum /boot/initrd-base.cpio.gz | cut -d' ' -f1))"
    LD_LIBRARY_PATH=/lib/x86_64-linux-gnu /sbin/kexec -l /boot/vmlinuz \
        --initrd=/boot/initrd-base.cpio.gz --command-line="$cmd" || fail "kexec -l"
    echo 1 >$T/tracing_on
    # The phase marker goes into the instance last, and the anchor read of `phase 5` follows it
    # there too, so the handover's phase lines up with QEMU's log.
    cfgscope capture --arm-handover --marker "PHASE[5] kexec -e (stage $STAGE)" 2>$NR/lab/out/arm-handover.stderr \
        || { cat $NR/lab/out/arm-handover.stderr; fail "cfgscope capture --arm-handover"; }
    say "$(tr '\n' '|' <$NR/lab/out/arm-handover.stderr)"
    sync
    phase 5 kexec -e
    LD_LIBRARY_PATH=/lib/x86_64-linux-gnu /sbin/kexec -e
    fail "kexec -e returned"
}
dump_handover() {
    [ -d $H ] || fail "no trace instance boot_map in the second kernel"
    say "handover: $(dmesg | grep -i 'ring buffer' | tr '\n' ' ')"
    echo "=====BEGIN HANDOVER stage=$STAGE====="
    cat $H/trace
    echo "=====END HANDOVER stage=$STAGE====="
}
scenario_handover_stage2() {
    handover_env
    dump_handover
    capture_start kernel2
    list_devices
    phase 6 boot-complete
    driver_phases 7
    list_devices
    phase 10 dump
    capture_stop
    dump_trace
    cfg_snapshot "stage 2, after its drivers"
    sync
    finish
}

scenario_kexec_stage2() {
    list_devices
    phase 6 boot-complete
    driver_phases 7
    list_devices
    phase 10 dump
    dump_trace
    cfg_snapshot "stage 2, after its drivers"
    finish
}

# reset_dev METHOD DEV...: the first DEV whose reset_method accepts METHOD is reset with it
reset_dev() {
    meth=$1; shift
    for d in "$@"; do
        p=/sys/bus/pci/devices/$d
        if echo "$meth" >$p/reset_method 2>/dev/null; then
            say "reset $d method=$meth (reset_method now: $(cat $p/reset_method))"
            if echo 1 >$p/reset 2>/dev/null; then say "reset $d method=$meth done"; else say "reset $d method=$meth: write to reset FAILED"; fi
            echo default >$p/reset_method 2>/dev/null
            return 0
        fi
        say "reset_method $meth not accepted by $d"
    done
    return 1
}

scenario_resets() {
    list_devices
    phase 0 boot-complete
    driver_phases 1
    for d in 0000:01:00.0 0000:02:00.0 0000:03:00.0; do
        say "reset_method $d: $(cat /sys/bus/pci/devices/$d/reset_method 2>&1)"
    done
    phase 4 reset flr
    reset_dev flr 0000:02:00.0 0000:01:00.0 0000:03:00.0
    wait_nvme
    phase 5 reset pm
    reset_dev pm 0000:02:00.0 0000:01:00.0 0000:03:00.0
    wait_nvme
    phase 6 reset bus
    reset_dev bus 0000:02:00.0 0000:01:00.0 0000:03:00.0
    wait_nvme
    phase 7 dump
    dump_trace
    finish
}

scenario_sriov() {
    list_devices
    phase 0 boot-complete
    driver_phases 1
    pf=/sys/bus/pci/devices/0000:02:00.0
    say "sriov_totalvfs=$(cat $pf/sriov_totalvfs 2>&1) sriov_numvfs=$(cat $pf/sriov_numvfs 2>&1)"
    # No driver for the VF: the PF has not assigned it queues/interrupts (nvme virt-mgmt), so
    # the nvme driver would fail to bring it up; only the PCI side (ECAP_SRIOV) matters here.
    echo 0 >$pf/sriov_drivers_autoprobe 2>/dev/null
    phase 4 sriov_numvfs=1
    echo 1 >$pf/sriov_numvfs || say "echo 1 > sriov_numvfs FAILED"
    list_devices
    phase 5 sriov_numvfs=0
    echo 0 >$pf/sriov_numvfs || say "echo 0 > sriov_numvfs FAILED"
    phase 6 dump
    dump_trace
    finish
}

# e1000e-on / e1000e-off: the same boot and driver phases, once with and once without the e1000e
# probe (phase 1 keeps its label and marker either way), so `cfgscope diff` of the two captures
# must show exactly what probing e1000e did (test/lab/e1000e-diff.md).
scenario_e1000e() {
    list_devices
    phase 0 boot-complete
    phase 1 driver e1000e
    if [ "$SCENARIO" = e1000e-on ]; then say "insmod e1000e"; load e1000e; else say "e1000e not loaded"; fi
    phase 2 insmod nvme
    load nvme
    wait_nvme
    phase 3 insmod virtio
    load_virtio
    list_devices
    phase 4 dump
    dump_trace
    finish
}

scenario_basic() {
    list_devices
    phase 0 boot-complete
    phase_as_basic 1 insmod e1000e
    load e1000e
    phase_as_basic 2 insmod nvme
    load nvme
    wait_nvme
    phase_as_basic 3 insmod virtio
    load_virtio
    phase_as_basic 4 remove+rescan 0000:01:00.0
    echo 1 >/sys/bus/pci/devices/0000:01:00.0/remove
    # that run rescanned every bus (pci_rescan_bus on the root bus), not only bus 01
    echo 1 >/sys/bus/pci/rescan
    phase_as_basic 5 sysfs write 0000:02:00.0 'cfg[0x0d]'
    printf '\040' | dd of=/sys/bus/pci/devices/0000:02:00.0/config bs=1 seek=13 conv=notrunc 2>/dev/null
    phase 6 dump
    dump_trace
    finish
}

virtio_pci_early_unbind
case "$SCENARIO/$STAGE" in
    kexec/1) scenario_kexec_stage1 ;;
    kexec/2) scenario_kexec_stage2 ;;
    kexec-handover/1) scenario_handover_stage1 ;;
    kexec-handover/2) scenario_handover_stage2 ;;
    resets/*) scenario_resets ;;
    sriov/*) scenario_sriov ;;
    e1000e-on/* | e1000e-off/*) scenario_e1000e ;;
    basic/*) scenario_basic ;;
    *) fail "unknown lab.scenario=$SCENARIO lab.stage=$STAGE" ;;
esac
