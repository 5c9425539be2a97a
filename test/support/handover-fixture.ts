// The lab's real 6.12 handover run (test/fixtures/lab-6.12-kexec-handover), cut into what a
// second kernel has: its console's sections, and a tracefs holding the persistent instance.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
export const HANDOVER_FIXTURE = `${root}test/fixtures/lab-6.12-kexec-handover`;
const serial = readFileSync(`${HANDOVER_FIXTURE}/serial.log`, 'utf8').replace(/\r/g, '').split('\n');
/** The console's lines between `=====BEGIN NAME=====` and `=====END NAME=====`. */
export const section = (name: string): string => serial.slice(serial.indexOf(`=====BEGIN ${name}=====`) + 1, serial.indexOf(`=====END ${name}=====`)).join('\n');

/** A tracefs holding the real handover dump in instances/boot_map, as the second kernel has it. */
export function handoverTracefs(): string {
  const t = mkdtempSync(join(tmpdir(), 'cfgscope-tracefs2-'));
  const dir = join(t, 'instances', 'boot_map');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(t, 'trace'), '# tracer: nop\n');
  writeFileSync(join(dir, 'trace'), `${section('HANDOVER stage=2')}\n`);
  writeFileSync(join(dir, 'last_boot_info'), 'text delta:\t0\ndata delta:\t0\n');
  return t;
}


/** handoverTracefs() with what --arm-handover writes to: the instance's switches and one pci event. */
export function armableTracefs(): string {
  const t = handoverTracefs();
  const dir = join(t, 'instances', 'boot_map');
  mkdirSync(join(dir, 'options'));
  mkdirSync(join(dir, 'events', 'pci', 'wd'), { recursive: true });
  for (const [f, v] of [['tracing_on', '0'], ['trace_clock', '[local] global'], ['options/stacktrace', '0'], ['events/pci/enable', '0'], ['trace_marker', '']] as const) writeFileSync(join(dir, f), v);
  return t;
}
