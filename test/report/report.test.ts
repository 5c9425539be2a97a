// `cfgscope report` on the bundled real capture (Debian 6.1 under QEMU, replays/README.md) with
// the nvme 0000:02:00.0 preserved: golden files of every format, and the properties each format
// promises (e-mail: 72 columns, no Markdown; JUnit: well-formed, one case per device and rule).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run-commands.js';
import { parseXml, type XmlElement } from './xml-check.js';

// Relative, as a user types it: the report names the capture as given, and golden files must not
// hold an absolute path. vitest runs from the repository root.
const CAPTURE = 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson';
const ARGS = ['report', CAPTURE, '--policy', 'luo-default', '--preserve', '0000:02:00.0'];

describe('report formats on the real capture', async () => {
  const md = await run(...ARGS);
  const email = await run(...ARGS, '--format', 'email');
  const junit = await run(...ARGS, '--format', 'junit');

  it('exits 0 with nothing on stderr', () => {
    for (const r of [md, email, junit]) expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('matches the golden files', async () => {
    await expect(md.stdout).toMatchFileSnapshot('../golden/report-luo-default-nvme.md');
    await expect(email.stdout).toMatchFileSnapshot('../golden/report-luo-default-nvme.email.txt');
    await expect(junit.stdout).toMatchFileSnapshot('../golden/report-luo-default-nvme.junit.xml');
  });

  it('is deterministic: a second run prints the same bytes', async () => {
    expect((await run(...ARGS)).stdout).toBe(md.stdout);
  });

  it('markdown: groups by call site with its callers, and gives every rule\'s why', () => {
    expect(md.stdout).toContain('### `__pci_read_base` <- `pci_read_bases` <- `pci_setup_device.cold` <- `pci_scan_single_device`');
    expect(md.stdout).toContain('| **VIOLATION** | 0000:02:00.0 (preserved) | `BASE_ADDRESS_0` |  | 0xfe000004 -> 0xffffffff | 1 | boot | bar-0 (error) |');
    expect(md.stdout).toMatch(/- `bar-0`, `bar-1`, `bar-2`, `bar-3`, `bar-4`, `bar-5`: BAR sizing/);
    expect(md.stdout).toContain('| expected | 0000:02:00.0 (preserved) | `CAP_MSIX+0x2` | MASKALL 1->0 | 0xc040 -> 0x8040 | 2 | PHASE\\[2\\] insmod nvme | msix-driver-setup (info) |'); // brackets escaped: capture text never makes a link
  });

  it('lists the writes no rule covers as questions for the patch author', () => {
    const open = md.stdout.slice(md.stdout.indexOf('## Still to justify'));
    expect(open).toContain('- [ ] pci_write_config writes LATENCY_TIMER of 0000:02:00.0 (preserved): ? -> 0x20 once in PHASE\\[5\\] sysfs write 0000:02:00.0 cfg\\[0x0d\\], serial.log:27150');
    expect(open).toContain('- [ ] pci_intx writes COMMAND of 0000:02:00.0 (preserved): 0x0107 -> 0x0507 (INTX_DISABLE 0->1) 2 times in PHASE\\[2\\] insmod nvme');
    // What a rule covers is never asked about: BAR sizing of the nvme is a violation, not a question.
    expect(open).not.toContain('BASE_ADDRESS_0 of 0000:02:00.0');
    expect(open.match(/^- \[ \] /gm)).toHaveLength(11);
  });

  it('email: at most 72 columns, no Markdown, nothing a mail tool would mangle', () => {
    const lines = email.stdout.split('\n');
    expect(lines.filter((l) => l.length > 72)).toEqual([]);
    expect(lines.filter((l) => /^(>|From |#)/.test(l) || /[`|*]|\[ \]|\s$/.test(l))).toEqual([]);
    expect(email.stdout).toContain('Call site 2 of 17: __pci_read_base\n  called from pci_read_bases <- pci_setup_device.cold <-\n    pci_scan_single_device\n');
    expect(email.stdout).toContain('  0000:02:00.0 BASE_ADDRESS_0: 0xfe000004 -> 0xffffffff, once, boot\n    VIOLATION of bar-0 (preserve, error)\n');
    // The same facts as the Markdown report.
    expect(email.stdout).toContain('42 violations, 14 expected writes, 17 unexplained writes; 94 of 445');
    expect(md.stdout).toContain('42 violations, 14 expected writes, 17 unexplained writes; 94 of 445 known writes hit protected devices; old value unknown for 12 of 94.');
  });

  it('junit: well-formed, one test case per (protected device, rule) plus unexplained writes', () => {
    const root = parseXml(junit.stdout);
    expect(root.name).toBe('testsuites');
    const suites = root.children;
    expect(suites.map((s) => s.attrs.name)).toEqual(['0000:00:04.0 [1b36:000c] depended', '0000:02:00.0 [1b36:0010] preserved']);
    const cases = (s: XmlElement): XmlElement[] => s.children.filter((c) => c.name === 'testcase');
    const nvme = cases(suites[1]!);
    expect(nvme.map((c) => c.attrs.name!.split(':')[0])).toEqual(['bus-master', 'decode', 'bar-0', 'bar-1', 'bar-2', 'bar-3', 'bar-4', 'bar-5', 'rom-bar', 'power-state', 'flr', 'link-control', 'mps-mrrs', 'unexplained writes']);
    const failed = (c: XmlElement): XmlElement | undefined => c.children.find((x) => x.name === 'failure');
    // link-control passes now: the nvme's LNKCTL old value is the snapshot's word (was `?`).
    expect(nvme.filter((c) => failed(c)).map((c) => c.attrs.name!.split(':')[0])).toEqual(['decode', 'bar-0', 'bar-1', 'bar-2', 'bar-3', 'bar-4', 'bar-5', 'rom-bar', 'unexplained writes']);
    const bar0 = failed(nvme.find((c) => c.attrs.name!.startsWith('bar-0'))!)!;
    expect(bar0.attrs.type).toBe('error');
    expect(bar0.attrs.message).toBe('2 violations of bar-0 on 0000:02:00.0: BASE_ADDRESS_0: 0xfe000004 -> 0xffffffff, once in boot, at __pci_read_base <- pci_read_bases <- pci_setup_device.cold <- pci_scan_single_device, first at serial.log:6143');
    expect(bar0.text).toContain('Why (bar-0, from luo-default): BAR sizing');
    // Counts agree with the cases.
    const all = suites.flatMap(cases);
    expect(Number(root.attrs.tests)).toBe(all.length);
    expect(Number(root.attrs.failures)).toBe(all.filter((c) => failed(c)).length);
    for (const s of suites) expect(Number(s.attrs.tests)).toBe(cases(s).length);
  });

  it('writes to a file with -o', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-report-')), 'r.xml');
    const r = await run(...ARGS, '--format', 'junit', '-o', out);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(readFileSync(out, 'utf8')).toBe(junit.stdout);
  });
});

describe('report options and errors', () => {
  it('refuses an unknown format (usage error)', async () => {
    const r = await run('report', CAPTURE, '--policy', 'luo-default', '--format', 'html');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('one of markdown, email, junit');
  });

  it('refuses a policy with errors, with its code', async () => {
    const r = await run('report', CAPTURE, '--policy', 'test/fixtures/policies/broken.json');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('POLICY_INVALID');
  });

  it('reports an unwritable output with its code', async () => {
    const r = await run('report', CAPTURE, '--policy', 'luo-default', '-o', '/nonexistent/dir/report.md');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('OUTPUT_UNWRITABLE');
  });

  it('under luo-strict every write is judged, so nothing is left unexplained', async () => {
    const r = await run('report', CAPTURE, '--policy', 'luo-strict', '--preserve', '0000:02:00.0');
    expect(r.stdout).toContain(', 0 unexplained writes;');
    expect(r.stdout).toContain('Every write to a protected device is covered by a rule.');
  });

  it('with nothing preserved, nothing is protected', async () => {
    const r = await run('report', CAPTURE, '--policy', 'luo-default', '--format', 'email');
    expect(r.stdout).toContain('preserved: none');
    expect(r.stdout).toContain('0 violations, 0 expected writes, 0 unexplained writes; 0 of 445');
  });
});

describe('report on the lab\'s kexec capture (virtio-net 0000:03:00.0 preserved across kexec)', async () => {
  const KEXEC = ['report', 'replays/lab-kexec/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:03:00.0'];
  const md = await run(...KEXEC);
  const email = await run(...KEXEC, '--format', 'email');

  it('matches the golden files, and e-mail lines fit 72 columns', async () => {
    expect([md.code, email.code]).toEqual([0, 0]);
    await expect(md.stdout).toMatchFileSnapshot('../golden/report-kexec-virtio.md');
    await expect(email.stdout).toMatchFileSnapshot('../golden/report-kexec-virtio.email.txt');
    expect(email.stdout.split('\n').filter((l) => l.length > 72)).toEqual([]);
  });

  it('explains the second kernel clearing the MSI-X enable the first left on', () => {
    expect(email.stdout).toMatch(/pci_msix_init[\s\S]*0000:03:00\.0 CAP_MSIX\+0x2: 0x8003 -> 0x0003/);
  });
});
