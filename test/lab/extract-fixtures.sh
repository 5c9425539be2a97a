#!/usr/bin/env bash
# Step 4 of the cfgscope QEMU lab: cut the fixtures out of the last run's logs.
#
# From $LAB_OUT/serial.log (the serial console):
#   probe-phases.txt         what `bpftrace probes/cfgscope.bt` wrote to stdout, byte for byte
#   probe-phases.json        what `bpftrace -f json probes/cfgscope.bt` wrote to stdout
#   probe-lost.txt           `BPFTRACE_PERF_RB_PAGES=1 bpftrace probes/cfgscope.bt 0 0 2 0` during
#                            a burst of sysfs config reads (perf ring buffer overflow: Lost N events)
#   probe-lost.json          the same with -f json
#   probe-stderr.txt         what the runs wrote to stderr, each after a `== mode=M` line
#   run-info.txt             date, package versions, QEMU command line, wall time, sha256 sums
#   serial.log               the whole console (kept only if < 1 MB, else the [init] lines)
# and $LAB_OUT/qemu-trace.log (QEMU's device-side trace of the same boot) as qemu-trace.log.
#
# The guest prints each output file between `=====BEGIN BPFTRACE mode=M=====` and
# `=====END BPFTRACE mode=M=====`, after an `[init] output mode=M bytes=N sha256=H` line.
# The serial console turns every LF into CR LF: the CRs are stripped here, and the result must
# match the guest's byte count and sha256, else this script fails (nothing is edited by hand).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

serial="$LAB_OUT/serial.log"
[[ -s "$serial" ]] || die "no $serial: run boot.sh first"
mkdir -p "$FIXTURE_DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tr -d '\r' <"$serial" >"$tmp/serial"

# section NAME MODE -> the lines strictly between the BEGIN/END markers, each with its LF
section() {
    awk -v b="=====BEGIN $1 mode=$2=====" -v e="=====END $1 mode=$2=====" '
        $0 == e { inside = 0 }
        inside  { print }
        $0 == b { inside = 1 }' "$tmp/serial"
}

extract() { # extract MODE DEST
    local mode="$1" dest="$2" want_bytes want_sha got_sha
    read -r want_bytes want_sha < <(sed -n "s/^\[init\] output mode=$mode bytes=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p" "$tmp/serial")
    [[ -n "${want_bytes:-}" ]] || die "no output of mode=$mode in $serial"
    section BPFTRACE "$mode" >"$tmp/out"
    # The guest adds one LF before the END marker when the file does not end with one.
    if [[ "$(wc -c <"$tmp/out")" -ne "$want_bytes" ]]; then
        head -c "$want_bytes" "$tmp/out" >"$tmp/out.cut"
        mv "$tmp/out.cut" "$tmp/out"
    fi
    got_sha="$(sha256sum <"$tmp/out" | cut -d' ' -f1)"
    [[ "$got_sha" == "$want_sha" ]] || die "mode=$mode: extracted bytes differ from the guest's file (sha256 $got_sha, want $want_sha)"
    cp "$tmp/out" "$dest"
    log "$(basename "$dest"): $want_bytes bytes, sha256 matches the guest"
}

extract text "$FIXTURE_DIR/probe-phases.txt"
extract json "$FIXTURE_DIR/probe-phases.json"
extract lost-text "$FIXTURE_DIR/probe-lost.txt"
extract lost-json "$FIXTURE_DIR/probe-lost.json"
# The lossless json run (the one the lab compares) must hold every event bpftrace's own @count
# counted: a run where bpftrace exited with events still buffered (no `Lost` line) cannot be the
# reference; the scenario fails and the lab retries it. (The text run is not checked: the committed
# probe-phases.txt is itself 1 user read short of its count.)
for f in probe-phases.json; do
    if node "$REPO_DIR/bin/cfgscope.js" replay "$FIXTURE_DIR/$f" 2>&1 | grep 'probe counts do NOT reconcile' >&2; then
        die "$f: bpftrace printed fewer events than it counted, with no Lost line (exited with them buffered)"
    fi
done
for mode in text json lost-text lost-json; do
    echo "== mode=$mode"
    section BPFTRACE-STDERR "$mode"
done >"$FIXTURE_DIR/probe-stderr.txt"

cp "$LAB_OUT/qemu-trace.log" "$FIXTURE_DIR/qemu-trace.log"
if [[ "$(wc -c <"$serial")" -lt 1048576 ]]; then
    cp "$serial" "$FIXTURE_DIR/serial.log"
else
    grep -a '^\[init\]' "$tmp/serial" >"$FIXTURE_DIR/serial.log"
    log "serial.log is >= 1 MB: kept only its [init] lines"
fi
{
    echo "date: $(date -u -r "$serial" '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -m), accel tcg"
    for p in qemu-system-x86 bpftrace busybox-static; do
        echo "package: $p $(dpkg-query -W -f='${Version}' "$p")"
    done
    echo "kernel: $(cat "$LAB_CACHE/kernel-package") ($(cat "$LAB_CACHE/kernel-release"))"
    echo "guest modules: $(cd "$LAB_CACHE/modules" && ls *.ko | tr '\n' ' ')"
    echo "qemu: $(cat "$LAB_OUT/qemu-cmdline.txt")"
    echo "wall seconds of the QEMU run: $(cat "$LAB_OUT/wall-seconds")"
    echo "BTF offsets of this kernel (for reference; the probe casts through BTF):"
    sed 's/^/  /' "$LAB_CACHE/btf-offsets.txt"
    echo "sha256:"
    (cd "$FIXTURE_DIR" && sha256sum probe-phases.txt probe-phases.json probe-lost.txt probe-lost.json \
        probe-stderr.txt qemu-trace.log serial.log | sed 's/^/  /')
} >"$FIXTURE_DIR/run-info.txt"
ls -l "$FIXTURE_DIR" >&2
