#!/usr/bin/env bash
# `npm run lab`: the whole cfgscope QEMU lab on a fresh Debian 12 machine, as root.
#
#   1. setup-host.sh and build-scenario-initramfs.sh once (apt-get update + install of what is
#      missing, the Debian kernel package downloaded and unpacked, modules, kexec-tools + libs);
#   2. every scenario of scenarios.txt, in order, each under a timeout and tried up to
#      LAB_ATTEMPTS times (default 3) when it fails: a bpftrace 0.17 in the guest has hung on exit
#      once in ~11 runs, and 6.12 guests under TCG died in early boot (`Oops: int3`) in 3 of about
#      20 boots of 2026-12-03 (test/lab/README.md): with one retry, a scenario of two boots would
#      fail both attempts in an estimated 8% of runs;
#   3. the captures of each scenario imported from its fresh raw logs (`cfgscope import`), and
#      `cfgscope crosscheck` of the kernel side against the device side where both exist;
#   4. compare-structure.mjs: the fresh captures against the committed replays/ in structure
#      (devices, phases, writes per device per phase; not timestamps); a readable diff on failure.
#
# Output goes to a fresh folder ($LAB_FRESH, default test/lab/out/fresh): fixtures/<dir>/ (raw
# logs), replays/<dir>/ (captures), crosscheck/<name>.txt, summary.txt (wall time of every step,
# which scenario retried). Nothing committed is touched unless `--overwrite` (or LAB_OVERWRITE=1):
# then the raw logs go to test/fixtures/<dir>/ and the captures to replays/<dir>/ (device
# captures only where one is committed), compared against a copy of replays/ taken before.
#
# Each kernel of the matrix (LAB_KERNELS, default "6.1 6.12"; LAB_KERNEL=6.12 runs one) writes its
# own folder: test/lab/out/fresh for 6.1, test/lab/out/6.12/fresh for 6.12.
#
#   npm run lab                          # all scenarios of both kernels -> test/lab/out/{,6.12/}fresh
#   LAB_KERNEL=6.12 npm run lab          # 6.12's scenarios only
#   npm run lab -- --only kexec,resets   # a subset (the structure comparison covers only those)
#   npm run lab -- --overwrite           # remake the committed fixtures and replays
set -euo pipefail
# The kernel matrix: without LAB_KERNEL, the lab runs once per kernel of LAB_KERNELS (default
# "6.1 6.12"), each in its own run of this script with its own cache, output folder, scenarios
# (scenarios.txt's first column) and committed captures to compare with; exit 1 when one failed.
# LAB_BUDGET is the whole matrix's: each kernel gets what the kernels before it left (CI's 90
# minutes hold npm test and every kernel's lab, not one budget per kernel).
if [[ -z "${LAB_KERNEL:-}" ]]; then
    matrix_rc=0
    matrix_budget="${LAB_BUDGET:-2700}"
    matrix_start=$(date +%s)
    for k in ${LAB_KERNELS:-6.1 6.12}; do
        left=$((matrix_budget - ($(date +%s) - matrix_start)))
        printf '[lab] === kernel %s (%d s of the budget left) ===\n' "$k" "$left" >&2
        LAB_BUDGET="$((left > 0 ? left : 0))" LAB_KERNEL="$k" LAB_FRESH="${LAB_FRESH:+$LAB_FRESH/$k}" bash "${BASH_SOURCE[0]}" "$@" || matrix_rc=1
    done
    exit $matrix_rc
fi
# One QEMU boot's limit here (lab-env.sh's default is 600 s; the longest boot, bpftrace's, takes
# about 2 minutes alone, 5 on a machine loaded 5-fold): a hung guest costs minutes, not the CI's
# whole budget.
export QEMU_TIMEOUT="${QEMU_TIMEOUT:-420}"
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
cd "$REPO_DIR"

overwrite="${LAB_OVERWRITE:-0}"
only=""
while (($#)); do
    case $1 in
        --overwrite) overwrite=1 ;;
        --only) only="${2:?--only needs a comma-separated list of scenario names}"; shift ;;
        *) die "unknown argument $1 (--overwrite, --only a,b)" ;;
    esac
    shift
done

# 6.1 keeps the folder it always had; other kernels write below test/lab/out/<kernel>/.
fresh="${LAB_FRESH:-test/lab/out/fresh}"
[[ -z "${LAB_FRESH:-}" && $LAB_KERNEL != 6.1 ]] && fresh="test/lab/out/$LAB_KERNEL/fresh"
# A scenario's limit adds time for its initramfs and fixture steps (seconds each) to one boot's.
scenario_timeout=$((QEMU_TIMEOUT + 60))
# The whole lab's budget: past it no scenario starts and none is retried (CI allows 90 minutes for
# everything; a normal lab run takes about 4).
budget="${LAB_BUDGET:-2700}"
cfgscope=(node bin/cfgscope.js)

rm -rf "$fresh"
mkdir -p "$fresh/fixtures" "$fresh/replays" "$fresh/crosscheck" "$fresh/logs"
summary="$fresh/summary.txt"
: >"$summary"
note() { printf '%s\n' "$*" | tee -a "$summary" >&2; }
# timed LABEL CMD...: runs CMD, notes its wall time; returns CMD's status
timed() {
    local label="$1" start rc=0
    shift
    start=$(date +%s)
    "$@" || rc=$?
    note "$(printf '%-44s %4d s  %s' "$label" "$(($(date +%s) - start))" "$([[ $rc -eq 0 ]] && echo ok || echo "FAILED rc=$rc")")"
    return $rc
}

# The committed captures of this kernel's scenarios only (a 6.12 run is never compared with 6.1's
# captures: call sites were renamed between them), copied before an --overwrite remakes them.
committed="$fresh/committed-replays"
mkdir -p "$committed"
while read -r kernel name fixtures replays kind command; do
    [[ -z "$kernel" || "$kernel" == \#* || "$kernel" != "$LAB_KERNEL" || "$replays" == - ]] && continue
    [[ -n "$only" && ",$only," != *",$name,"* ]] && continue
    [[ -d "replays/$replays" ]] && cp -r "replays/$replays" "$committed/"
done <"$LAB_DIR/scenarios.txt"
lab_start=$(date +%s)
note "cfgscope lab $(date -u +%Y-%m-%dT%H:%M:%SZ), kernel $LAB_KERNEL ($KERNEL_PACKAGE $KERNEL_VERSION), output $fresh, overwrite=$overwrite, QEMU timeout ${QEMU_TIMEOUT}s, load $(cut -d' ' -f1-3 /proc/loadavg)"

timed "build cfgscope (npm run build)" npm run -s build
timed "setup-host.sh (packages, kernel, modules)" bash "$LAB_DIR/setup-host.sh"
timed "build-scenario-initramfs.sh (kexec-tools)" bash "$LAB_DIR/build-scenario-initramfs.sh"

# import_captures KIND FIXTURES REPLAYS NAME: the captures of one scenario from its raw logs
import_captures() {
    local kind="$1" fx="$2" rp="$3" name="$4" out="$fresh/replays/$3"
    mkdir -p "$out"
    [[ $overwrite == 1 ]] && out="replays/$rp" && mkdir -p "$out"
    case $kind in
        ftrace)
            "${cfgscope[@]}" import "$fx/serial.log" --devices "$fx/qemu-trace.log" --attribute "$fx/qemu-trace.log" \
                -o "$out/kernel.capture.ndjson"
            # A device capture is committed only where one is small enough (qemu-6.1-q35-basic).
            local dev="$fresh/replays/$rp/device.capture.ndjson"
            [[ $overwrite == 1 && -f "replays/$rp/device.capture.ndjson" ]] && dev="replays/$rp/device.capture.ndjson"
            "${cfgscope[@]}" import "$fx/qemu-trace.log" -o "$dev"
            local rc=0
            "${cfgscope[@]}" crosscheck "$out/kernel.capture.ndjson" "$dev" >"$fresh/crosscheck/$name.txt" || rc=$?
            note "  crosscheck $name: exit $rc, $(grep -m1 '^explained' "$fresh/crosscheck/$name.txt" || echo '-')"
            [[ $rc -eq 0 ]] || return $rc
            ;;
        bpftrace) "${cfgscope[@]}" import "$fx/probe-phases.json" -o "$out/probe-phases.capture.ndjson" ;;
        none) ;;
        *) die "scenarios.txt: unknown import kind $kind" ;;
    esac
    # The structure comparison reads the fresh folder: with --overwrite, a copy of what was remade.
    [[ $overwrite == 1 ]] && cp "$out"/*.capture.ndjson "$fresh/replays/$rp/"
    return 0
}

# kexec-handover runs cfgscope in both kernels (a capture in each, bpftrace attaching twice under
# TCG, plus the arm): about twice a boot's time (QEMU 464 s at load 13), so twice the boot limit.
boot_limit() { [[ $1 == kexec-handover ]] && echo $((2 * QEMU_TIMEOUT)) || echo "$QEMU_TIMEOUT"; }

# run_command NAME FIXTURE_DIR COMMAND LOG: one scenario's command, from test/lab/, under the timeout
run_command() {
    local limit
    limit=$(boot_limit "$1")
    (cd "$LAB_DIR" && QEMU_TIMEOUT="$limit" FIXTURE_DIR="$2" SCENARIO_FIXTURE_DIR="$2" timeout "$((limit + scenario_timeout - QEMU_TIMEOUT))" bash -c "$3") >"$4" 2>&1
}

failed=()
attempts=${LAB_ATTEMPTS:-3}
[[ "$attempts" =~ ^[1-9][0-9]*$ ]] || { echo "LAB_ATTEMPTS must be a whole number from 1, not '$attempts'" >&2; exit 2; }
while read -r kernel name fixtures replays kind command; do
    [[ -z "$kernel" || "$kernel" == \#* || "$kernel" != "$LAB_KERNEL" ]] && continue
    [[ -n "$only" && ",$only," != *",$name,"* ]] && continue
    fx="$fresh/fixtures/$fixtures"
    [[ $overwrite == 1 ]] && fx="test/fixtures/$fixtures"
    # `-`: a scenario without fixtures (live): its command still gets a folder, a fresh one.
    [[ "$fixtures" == - ]] && fx="$fresh/fixtures/$name"
    mkdir -p "$fx"
    ok=0
    for ((attempt = 1; attempt <= attempts; attempt++)); do
        touch "$fresh/logs/.attempt"
        if (($(date +%s) - lab_start > budget)); then
            note "scenario $name (attempt $attempt): not started, the lab's budget of ${budget}s (LAB_BUDGET) is spent"
            break
        fi
        log="$fresh/logs/$name.$attempt.log"
        if timed "scenario $name (attempt $attempt)" run_command "$name" "$REPO_DIR/$fx" "$command" "$log"; then
            ok=1
            break
        fi
        note "  scenario $name attempt $attempt failed; last lines of $log:"
        tail -n 15 "$log" | sed 's/^/    /' | tee -a "$summary" >&2
        # The next attempt overwrites the raw logs: keep what this one wrote (serial console, QEMU trace).
        mkdir -p "$log.out"
        find "$LAB_OUT" -path "$(realpath -m "$fresh")" -prune -o -type f -newer "$fresh/logs/.attempt" -exec cp {} "$log.out/" \; 2>/dev/null || true
        note "  its raw logs: $log.out/"
        ((attempt < attempts)) && note "  scenario $name: RETRY"
    done
    if [[ $ok == 0 ]]; then failed+=("$name"); continue; fi
    [[ "$replays" == - ]] && continue
    timed "import + crosscheck $name" import_captures "$kind" "$fx" "$replays" "$name" || failed+=("$name (import/crosscheck)")
done <"$LAB_DIR/scenarios.txt"

compare_args=("$fresh/replays" "$committed")
[[ -n "$only" ]] && compare_args+=(--only-present)
timed "structure comparison (compare-structure.mjs)" node "$LAB_DIR/compare-structure.mjs" "${compare_args[@]}" \
    || failed+=("structure comparison")

note "lab total ($LAB_KERNEL): $(($(date +%s) - lab_start)) s, load now $(cut -d' ' -f1-3 /proc/loadavg)"
if ((${#failed[@]})); then
    note "FAILED: ${failed[*]}"
    exit 1
fi
note "all scenarios ran; fresh captures agree with the committed ones in structure"
