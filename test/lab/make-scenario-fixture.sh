#!/usr/bin/env bash
# Copy the raw logs of the last boot of a scenario into its fixture folder:
#   bash make-scenario-fixture.sh kexec|resets|sriov|basic
# -> test/fixtures/lab-NAME/{serial.log,qemu-trace.log,run-info.txt}. The logs are copied
# unchanged (the serial console's CRs stay; cfgscope strips them). Fails when a file is 2 MB or
# more, or when a trace dump is missing. run-info.txt: date, versions, QEMU command line, wall
# time, sha256 sums, and per stage the number of PHASE markers, trace lines and accessor events.
# README.md in the fixture folder is written by hand (it explains the run).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

scenario="${1:?usage: make-scenario-fixture.sh kexec|resets|sriov|e1000e-on|e1000e-off|basic}"
src="$LAB_OUT/$scenario"
dest="${SCENARIO_FIXTURE_DIR:-$REPO_DIR/test/fixtures/lab-$scenario}"
[[ -s "$src/serial.log" && -s "$src/qemu-trace.log" ]] || die "no logs in $src: run boot-scenario.sh $scenario"

stages=1
[[ $scenario == kexec* ]] && stages="1 2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tr -d '\r' <"$src/serial.log" >"$tmp/serial"
for s in $stages; do
    grep -q "^=====END TRACE stage=$s=====" "$tmp/serial" || die "no complete trace of stage $s in $src/serial.log"
done
for f in serial.log qemu-trace.log; do
    size=$(stat -c %s "$src/$f")
    ((size < 2 * 1024 * 1024)) || die "$f is $size bytes (limit 2 MB): trim the scenario"
done

mkdir -p "$dest"
cp "$src/serial.log" "$src/qemu-trace.log" "$dest/"
# kexec-handover: what cfgscope wrote in the guest (each kernel's capture, its stdout/stderr, the
# arm's and boot-args' output), then the procedure's last steps on the host: report and check of
# kernel 2's capture, the handover alone, with the preserved device, and its report with kernel 1's
# capture as --previous-capture (README, "Live Update procedure").
if [[ $scenario == kexec-handover ]]; then
    g="$dest/guest"
    rm -rf "$g"
    mkdir -p "$g"
    for f in kernel1.capture.ndjson kernel2.capture.ndjson kernel1.stderr kernel2.stderr kernel1.stdout kernel2.stdout arm-handover.stderr boot-args.txt boot-args.stderr; do
        [[ -s "$src/share/out/$f" ]] || die "the guest wrote no $f (serial.log says why)"
        size=$(stat -c %s "$src/share/out/$f")
        ((size < 2 * 1024 * 1024)) || die "$f is $size bytes (limit 2 MB)"
        cp "$src/share/out/$f" "$g/"
    done
    # both captures closed whole: bpftrace ran END after the SIGINT
    for k in 1 2; do grep -q 'trailer complete: true' "$g/kernel$k.stderr" || die "kernel$k.capture.ndjson is incomplete: $(tail -n 1 "$g/kernel$k.stderr")"; done
    cs=(node "$REPO_DIR/bin/cfgscope.js")
    "${cs[@]}" report "$g/kernel2.capture.ndjson" --boot handover --policy luo-default --preserve 0000:03:00.0 -o "$g/handover-report.md" \
        || die "cfgscope report --boot handover failed"
    rc=0
    "${cs[@]}" check "$g/kernel2.capture.ndjson" --boot handover --policy luo-default --preserve 0000:03:00.0 >"$g/handover-check.txt" || rc=$?
    # exit 1: violations found (pci_clear_master on the preserved device); anything else is a failure
    [[ $rc -eq 1 ]] || die "cfgscope check --boot handover exited $rc (1 expected: violations)"
    # README step 8: kernel 2's whole capture with kernel 1's last known state (--previous-capture)
    "${cs[@]}" report "$g/kernel2.capture.ndjson" --policy luo-default --preserve 0000:03:00.0 --previous-capture "$g/kernel1.capture.ndjson" -o "$g/previous-report.md" \
        || die "cfgscope report --previous-capture failed"
fi
{
    echo "scenario: $scenario"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) (host kernel $(uname -r))"
    echo "guest kernel: $(cat "$LAB_CACHE/kernel-package") ($(cat "$LAB_CACHE/kernel-release"))"
    echo "qemu: $(qemu-system-x86_64 --version | head -n1)"
    echo "busybox: $(busybox 2>&1 | head -n1)"
    echo "kexec-tools: $(dpkg-deb -f "$LAB_CACHE"/kexec/deb/kexec-tools_*.deb Version 2>/dev/null || echo -)"
    echo "initramfs: scenario.cpio.gz sha256 $(sha256sum "$LAB_CACHE/scenario.cpio.gz" | cut -d' ' -f1)"
    echo "           scenario-base.cpio.gz (the kexec'd kernel's initrd) sha256 $(sha256sum "$LAB_CACHE/scenario-base.cpio.gz" | cut -d' ' -f1)"
    echo "wall time of the QEMU run: $(cat "$src/wall-seconds") s"
    echo "qemu command line:"
    echo "  $(cat "$src/qemu-cmdline.txt")"
    for s in $stages; do
        awk -v b="=====BEGIN TRACE stage=$s=====" -v e="=====END TRACE stage=$s=====" \
            '$0 == e { f = 0 } f { print } $0 == b { f = 1 }' "$tmp/serial" >"$tmp/trace"
        echo "stage $s trace: $(wc -l <"$tmp/trace") lines;" \
            "$(grep -cE 'tracing_mark_write(\+0x[0-9a-f]+/0x[0-9a-f]+)?: PHASE\[' "$tmp/trace") PHASE markers;" \
            "$(grep -cE ': (wb|ww|wd|uwb|uww|uwd|raww): \(' "$tmp/trace") kprobe write events;" \
            "$(grep -cE ': (rb|rw|rd|urb): \(' "$tmp/trace") kprobe read events;" \
            "$(grep -cE ': pci_bus_write_config_(byte|word|dword)(\+0x[0-9a-f]+/0x[0-9a-f]+)? <-' "$tmp/trace") function-tracer hits;" \
            "$(grep -m1 'entries-in-buffer' "$tmp/trace" | sed 's/^# //')"
    done
    if [[ $scenario == kexec-handover ]]; then
        awk '$0 ~ /^=====END HANDOVER/ { f = 0 } f { print } $0 ~ /^=====BEGIN HANDOVER/ { f = 1 }' "$tmp/serial" >"$tmp/trace"
        echo "handover (the first kernel's buffer, printed by the second): $(wc -l <"$tmp/trace") lines;" \
            "$(grep -cE ': (wb|ww|wd|uwb|uww|uwd|raww): \(' "$tmp/trace") kprobe write events;" \
            "$(grep -cE ': (rb|rw|rd|urb|urw|urd): \(' "$tmp/trace") kprobe read events;" \
            "$(grep -c 'cfgscope-module ' "$tmp/trace") module address markers"
    fi
    if [[ $scenario == kexec-handover ]]; then
        for k in 1 2; do echo "guest kernel$k.capture.ndjson: $(grep -m1 'ndjson: [0-9]* accesses (' "$dest/guest/kernel$k.stderr" | sed 's/^cfgscope capture: //')"; done
        grep -E '^cfgscope capture: handover' "$dest/guest/kernel2.stderr" | sed 's/^cfgscope capture: /guest kernel2 capture: /'
        echo "host: cfgscope check --boot handover: $(tail -n 1 "$dest/guest/handover-check.txt")"
    fi
    echo "qemu-trace.log: $(wc -l <"$src/qemu-trace.log") lines, $(grep -c 'pci_cfg_write' "$src/qemu-trace.log") pci_cfg_write," \
        "$(grep -c 'pci_cfg_read' "$src/qemu-trace.log") pci_cfg_read, phase marker reads: $(grep -cE 'pci_cfg_read ICH9-SMB 00:1f.3 @0xf[0-9a-f] ' "$src/qemu-trace.log")"
    echo "sha256:"
    (cd "$dest" && sha256sum serial.log qemu-trace.log | sed 's/^/  /')
} >"$dest/run-info.txt"
cat "$dest/run-info.txt" | grep -v '^  qemu-system\|^qemu command' >&2
log "fixture: $dest"
