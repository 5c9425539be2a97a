// A policy whose rules all match every write (wildcard deny rules) makes a finding per rule and
// write: 3,000 such rules on the bundled capture are 1.3 million findings. `check`'s text and the
// report group them, and kept every group until the end (5,000-6,400 rules: 2.8 GB, 19-63 s,
// a 263 MB report; found by `npm run fuzz`, hostile-policies). They now list at most 10,000
// groups, count the rest and say so; the totals still count every finding (checked here against
// `check --json`, which streams every one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TEXT_GROUPS } from '../../src/sinks/check-text.js';
import { MAX_REPORT_ITEMS } from '../../src/report/report-model.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const CAPTURE = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const RULES = 3000;

const cfgscope = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });

describe('a policy that matches every write many times over', () => {
  let dir: string;
  let policy: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfgscope-many-findings-'));
    policy = join(dir, 'wild.json');
    const rules = Array.from({ length: RULES }, (_, i) => ({ id: `w${i}`, kind: 'deny', register: '*', appliesTo: 'any', why: 'wildcard' }));
    writeFileSync(policy, JSON.stringify({ 'cfgscope-policy': 1, name: 'wild', rules }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('check lists at most MAX_TEXT_GROUPS groups and counts the rest; the totals are --json\'s', () => {
    // Hundreds of MB of NDJSON: counted by grep, not read into a string.
    const json = spawnSync('sh', ['-c', 'node "$0" check --policy "$1" --preserve 0000:02:00.0 --json "$2" | grep -c \'^{"type":"finding"\'', bin, policy, CAPTURE], { encoding: 'utf8' });
    const findings = Number(json.stdout.trim());
    expect(findings).toBeGreaterThan(MAX_TEXT_GROUPS * 10);

    const text = cfgscope('check', '--policy', policy, '--preserve', '0000:02:00.0', CAPTURE);
    expect(text.status).toBe(1);
    const lines = text.stdout.split('\n');
    const groups = lines.filter((l) => /^ {4}(VIOLATION|expected ) /.test(l));
    expect(groups.length).toBe(MAX_TEXT_GROUPS);
    const listed = groups.reduce((n, l) => n + Number(/ x(\d+)$/.exec(l)?.[1] ?? 1), 0);
    const unlisted = Number(/^(\d+) more finding\(s\) not listed: this text lists at most 10000 groups/m.exec(text.stdout)?.[1]);
    const total = Number(/^(\d+) violations, /m.exec(text.stdout)?.[1]);
    expect(unlisted).toBeGreaterThan(0);
    expect(listed + unlisted).toBe(total);
    expect(total).toBe(findings);
  }, 120_000);

  it('report lists at most MAX_REPORT_ITEMS distinct writes and says how many more it found', () => {
    const md = cfgscope('report', '--policy', policy, '--preserve', '0000:02:00.0', CAPTURE);
    expect(md.status).toBe(0);
    const more = /^(\d+) more findings not listed: this report lists at most 10000 distinct writes/m.exec(md.stdout);
    expect(Number(more?.[1])).toBeGreaterThan(0);
    expect(MAX_REPORT_ITEMS).toBe(10_000);
    // A table row per listed write, at most.
    expect(md.stdout.split('\n').filter((l) => l.startsWith('| ')).length).toBeLessThan(MAX_REPORT_ITEMS + 1000);
    const email = cfgscope('report', '--format', 'email', '--policy', policy, '--preserve', '0000:02:00.0', CAPTURE);
    expect(email.stdout).toMatch(/more findings not listed: this report lists at most 10000/);
    expect(email.stdout.split('\n').every((l) => l.length <= 72)).toBe(true);
  }, 120_000);
});
