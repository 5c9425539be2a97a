// `--help` examples for every command (commander's addHelpText 'after'). Each is a real command line
// on a capture bundled in replays/ (paths from the package's folder), with the exit status it gives
// there; test/cli/help-examples.test.ts runs every example the help shows, so they cannot rot.
// One table for all commands, so a command file does not carry its help's prose.

import type { Command } from 'commander';

export interface HelpExample {
  /** The command line after `cfgscope`, as typed: words separated by single spaces, no quoting. */
  args: string;
  /** What it does, one line. */
  says: string;
  /** Its exit status on the bundled captures (1: something found: violations, differences). */
  exit: number;
  /** What it needs beyond the package (said in the help; the test runs it with a stand-in):
   *  root and bpftrace (capture), this machine's kernel BTF (boot-args), a running `serve` (watch),
   *  a NATS JetStream server (--publish, fleet). */
  needs?: 'root' | 'kernel-btf' | 'server' | 'nats' | 'handover';
  /** Runs until Ctrl-C (serve), which ends it with the exit status above. */
  untilStopped?: boolean;
}

const BOOT = 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson';
const BOOT_DEVICE = 'replays/qemu-6.1-q35-basic/device.capture.ndjson';
const KEXEC = 'replays/lab-kexec/kernel.capture.ndjson';
const E1000E_OFF = 'replays/lab-e1000e-off/kernel.capture.ndjson';
const E1000E_ON = 'replays/lab-e1000e-on/kernel.capture.ndjson';

/** By command path (`policy lint`); '' is the program itself. */
export const HELP_EXAMPLES: Readonly<Record<string, readonly HelpExample[]>> = {
  '': [
    { args: 'replay', says: 'a real kernel boot\'s config writes, per phase and device', exit: 0 },
    { args: `check --policy luo-default --preserve 0000:02:00.0 ${BOOT}`, says: 'judge the writes to a preserved NVMe', exit: 1 },
    { args: 'import --help', says: 'a command\'s options and examples', exit: 0 },
  ],
  import: [
    { args: `import ${BOOT} -o kernel.cfgcap`, says: 'pack a capture (a quarter of the size, read several times faster)', exit: 0 },
    { args: `import --strict --input-format capture ${KEXEC} -o kexec.ndjson`, says: 'copy a capture, exit 65 if any line of it is skipped', exit: 0 },
  ],
  replay: [
    { args: 'replay', says: 'the bundled boot: writes per phase, device, register and call site', exit: 0 },
    { args: `replay --json ${KEXEC}`, says: 'a kexec reboot as NDJSON, for jq', exit: 0 },
  ],
  check: [
    { args: `check --policy luo-default --preserve 0000:02:00.0 ${BOOT}`, says: 'the NVMe preserved: every write to it and its bridges judged', exit: 1 },
    { args: `check --policy luo-busmaster --preserve 0000:03:00.0 --fail-on warning --json ${KEXEC}`, says: 'findings as NDJSON; warnings fail too', exit: 1 },
    { args: `check --policy pci-liveupdate --preserve 0000:03:00.0 --boot handover ${KEXEC}`, says: 'the old kernel\'s shutdown only, against the upstream series\' promises', exit: 1 },
    { args: `check --policy luo-default --preserve 0000:03:00.0 --publish nats://127.0.0.1:4222 ${KEXEC}`, says: 'also publish the run to a fleet\'s JetStream (see fleet)', exit: 1, needs: 'nats' },
  ],
  report: [
    { args: `report --policy luo-default --preserve 0000:03:00.0 --format email ${KEXEC}`, says: 'notes for a reply on a kernel list, 72 columns', exit: 0 },
    { args: `report --policy luo-default --preserve 0000:03:00.0 --format junit -o kexec-report.xml ${KEXEC}`, says: 'JUnit XML for a CI dashboard', exit: 0 },
  ],
  diff: [
    { args: `diff ${E1000E_OFF} ${E1000E_ON}`, says: 'what loading e1000e changed', exit: 1 },
    { args: `diff --json --ignore-phases ${E1000E_OFF} ${E1000E_ON}`, says: 'the same as NDJSON, matched across phases', exit: 1 },
    { args: `diff --boot 1 --boot 2 ${KEXEC} ${KEXEC}`, says: 'kernel 1 against kernel 2 (after kexec) of one capture', exit: 1 },
  ],
  crosscheck: [
    { args: `crosscheck ${BOOT} ${BOOT_DEVICE}`, says: 'kernel side against QEMU\'s side of one boot; every one-sided access explained', exit: 0 },
  ],
  policy: [
    { args: 'policy lint luo-default', says: 'validate and explain a policy', exit: 0 },
  ],
  'policy lint': [
    { args: 'policy lint luo-default', says: 'the built-in Live Update policy, rule by rule', exit: 0 },
    { args: 'policy lint luo-busmaster luo-default', says: 'two policies composed in order, as check --policy a --policy b does', exit: 0 },
  ],
  'boot-args': [
    { args: 'boot-args', says: 'the fragment for this machine\'s kernel (its BTF)', exit: 0, needs: 'kernel-btf' },
    { args: 'boot-args --segment', says: 'also record the PCI segment of every access', exit: 0, needs: 'kernel-btf' },
  ],
  capture: [
    { args: 'capture -o live.ndjson', says: 'trace this machine', exit: 0, needs: 'root', untilStopped: true },
    { args: 'capture -o live.ndjson --preserve 0000:02:00.0 --writes-only', says: 'writes only, violations printed as they happen (luo-default)', exit: 0, needs: 'root', untilStopped: true },
    { args: 'capture --arm-handover', says: 'just before kexec -e: record the old kernel\'s shutdown for the next kernel\'s capture (README, Live Update procedure)', exit: 0, needs: 'handover' },
    { args: 'capture -o live.ndjson --preserve 0000:02:00.0 --listen 127.0.0.1:7878', says: 'also stream it live to watch and the page, as serve --listen does', exit: 0, needs: 'root', untilStopped: true },
  ],
  serve: [
    { args: `serve --policy luo-default --preserve 0000:02:00.0 ${BOOT}`, says: 'the boot at recorded speed to the page at http://127.0.0.1:7878/', exit: 0, untilStopped: true },
    { args: `serve --fast --listen 127.0.0.1:7879 ${KEXEC}`, says: 'as fast as it reads, on another port', exit: 0, untilStopped: true },
    { args: 'serve --from nats://127.0.0.1:4222', says: 'the fleet view, live: what every machine that published found (see fleet)', exit: 0, untilStopped: true, needs: 'nats' },
  ],
  fleet: [
    { args: 'fleet --server nats://127.0.0.1:4222', says: 'violations across every machine that published, per kernel, device, register and call site', exit: 0, needs: 'nats' },
    { args: 'fleet --server nats://127.0.0.1:4222 --since 7d --json', says: 'the last week as NDJSON', exit: 0, needs: 'nats' },
  ],
  watch: [
    { args: 'watch ws://127.0.0.1:7878 --until-end', says: 'follow a serve stream to its end', exit: 0, needs: 'server' },
    { args: 'watch ws://127.0.0.1:7878 --violations-only --device 0000:02:00.0 --until-end', says: 'only one device\'s violations', exit: 0, needs: 'server' },
  ],
};

const NEEDS: Record<NonNullable<HelpExample['needs']>, string> = {
  root: 'root, bpftrace and a kernel with kprobes',
  'kernel-btf': 'the running kernel\'s /sys/kernel/btf/vmlinux',
  server: 'a running cfgscope serve: see serve --help',
  nats: 'a NATS JetStream server (nats-server -js): see docs/fleet.md',
  handover: 'root and a Linux 6.12+ kernel booted with boot-args --handover',
};

/** The command's path from the program: `policy lint`; '' for the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function renderExamples(examples: readonly HelpExample[]): string {
  const lines = examples.flatMap((e) => {
    const notes = [e.untilStopped ? 'until Ctrl-C' : '', e.exit !== 0 ? `exit ${e.exit}` : '', e.needs ? `needs ${NEEDS[e.needs]}` : ''].filter(Boolean);
    return [`  # ${e.says}${notes.length ? ` (${notes.join('; ')})` : ''}`, `  $ ${e.needs === 'root' || e.needs === 'handover' ? 'sudo ' : ''}cfgscope ${e.args}`];
  });
  return `\nExamples (from the package's folder; replays/ holds real captures):\n${lines.join('\n')}\n`;
}

/** Adds each command's examples to its --help, the program's and every subcommand's. */
export function addHelpExamples(program: Command): void {
  const walk = (c: Command): void => {
    const examples = HELP_EXAMPLES[commandPath(c)];
    if (examples) c.addHelpText('after', renderExamples(examples));
    c.commands.forEach(walk);
  };
  walk(program);
}
