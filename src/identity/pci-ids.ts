// Names from the pci.ids database (https://pci-ids.ucw.cz; Debian package `pci.ids`, also shipped
// as hwdata). Format, per its own header comment: a vendor line `vvvv  name`, its devices indented
// by one tab `\tdddd  name`, their subsystems by two `\t\tssss ssss  name`; after the `C cc  name`
// class lines, one tab is a subclass and two a programming interface. `#` starts a comment.
// openPciIds() only looks for the file; it is read on the first lookup and each vendor or class
// block parsed when first asked for, into the returned object (the caller keeps it: nothing is
// cached at module level). Without a file
// every lookup answers undefined and `available` is false, so the CLI can say so once.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const DEFAULT_PCI_IDS_PATHS: readonly string[] = [
  '/usr/share/misc/pci.ids',
  '/usr/share/hwdata/pci.ids',
  '/usr/share/misc/pci.ids.gz',
];

export interface PciIds {
  /** false when no database was found or it could not be read. */
  readonly available: boolean;
  /** The file in use, when one was found. */
  readonly path: string | undefined;
  vendor(vendor: number): string | undefined;
  device(vendor: number, device: number): string | undefined;
  subsystem(vendor: number, device: number, subvendor: number, subdevice: number): string | undefined;
  /** The most specific name of a 24-bit class code, as lspci shows it: the subclass, else the class. */
  className(cls: number): string | undefined;
  baseClassName(base: number): string | undefined;
  subclassName(base: number, sub: number): string | undefined;
  progIfName(base: number, sub: number, progIf: number): string | undefined;
}

/** A device (or subclass) and its subsystems (or programming interfaces). */
interface Mid { name: string; children: Map<number, string> }
/** A vendor (or class) and its devices (or subclasses). */
interface Top { name: string; children: Map<number, Mid> }
interface Tables { vendors: Map<number, Top>; classes: Map<number, Top> }

// `\t\t1af4 1100  QEMU Virtual Machine`: ids are separated from the name by two spaces.
const ENTRY = /^(\t{0,2})(C )?([0-9a-fA-F]{2,4})(?: ([0-9a-fA-F]{4}))?\s+(.*)$/;

/** Parses the whole database. Lines it cannot read are ignored: names are a convenience, not data. */
export function parsePciIds(text: string): Tables {
  const vendors: Tables['vendors'] = new Map();
  const classes: Tables['classes'] = new Map();
  let inClasses = false;
  let top: Top | undefined;
  let mid: Mid | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    const m = ENTRY.exec(line.trimEnd());
    if (!m) continue;
    const depth = m[1]!.length;
    const id = parseInt(m[3]!, 16);
    const name = m[5]!;
    if (depth === 0) {
      inClasses = m[2] !== undefined;
      if (!inClasses && m[3]!.length !== 4) { top = undefined; continue; }
      top = { name, children: new Map() };
      (inClasses ? classes : vendors).set(id, top);
      mid = undefined;
    } else if (depth === 1 && top) {
      mid = { name, children: new Map() };
      top.children.set(id, mid);
    } else if (depth === 2 && mid) {
      // Subsystems key on (subvendor, subdevice); prog-ifs on the one id.
      const key = m[4] !== undefined ? id * 0x10000 + parseInt(m[4], 16) : id;
      mid.children.set(key, name);
    }
  }
  return { vendors, classes };
}

/**
 * The database split into its top-level blocks (a vendor with its devices, or a class with its
 * subclasses), each parsed by parsePciIds only when a lookup needs it: a run names a handful of
 * devices, and parsing all ~40k lines cost more than a small check. A block starts at every line
 * that parsePciIds would read as a vendor or class (the same pattern), so a block parsed alone
 * gives exactly what parsing the whole file gives for its id; a repeated id keeps the last block,
 * as the whole-file parse does.
 */
function lazyTables(text: string): Tables {
  const vendorBlocks = new Map<number, [number, number]>();
  const classBlocks = new Map<number, [number, number]>();
  // `map` null: a top-level line parsePciIds reads but keeps nothing under (a vendor id that is not
  // 4 digits); it still ends the block before it.
  let open: { map: Map<number, [number, number]> | null; id: number; start: number } | null = null;
  const close = (end: number): void => { if (open?.map) open.map.set(open.id, [open.start, end]); };
  for (let at = 0; at < text.length;) {
    let nl = text.indexOf('\n', at);
    if (nl === -1) nl = text.length;
    const c = text.charCodeAt(at);
    if (nl > at && c !== 0x09 && c !== 0x23) { // not indented, not a comment
      const m = ENTRY.exec(text.slice(at, nl).trimEnd());
      if (m && m[1] === '') {
        close(at);
        const isClass = m[2] !== undefined;
        const map = isClass ? classBlocks : m[3]!.length === 4 ? vendorBlocks : null;
        open = { map, id: parseInt(m[3]!, 16), start: at };
      }
    }
    at = nl + 1;
  }
  close(text.length);
  const lazy = (blocks: Map<number, [number, number]>, pick: (t: Tables) => Map<number, Top>): Map<number, Top> => {
    const parsed = new Map<number, Top | undefined>();
    const one = (id: number): Top | undefined => {
      if (!parsed.has(id)) {
        const b = blocks.get(id);
        parsed.set(id, b ? pick(parsePciIds(text.slice(b[0], b[1]))).get(id) : undefined);
      }
      return parsed.get(id);
    };
    // Only get() is used by the lookups below.
    return { get: one } as unknown as Map<number, Top>;
  };
  return { vendors: lazy(vendorBlocks, (t) => t.vendors), classes: lazy(classBlocks, (t) => t.classes) };
}

export function openPciIds(opts: { paths?: readonly string[] } = {}): PciIds {
  const path = (opts.paths ?? DEFAULT_PCI_IDS_PATHS).find((p) => existsSync(p));
  let tables: Tables | null | undefined; // undefined: not read yet; null: unreadable
  const load = (): Tables | null => {
    if (tables !== undefined) return tables;
    try {
      const raw = readFileSync(path!);
      tables = lazyTables((path!.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
    } catch {
      tables = null;
    }
    return tables;
  };
  const get = <T>(f: (t: Tables) => T | undefined): T | undefined => {
    if (path === undefined) return undefined;
    const t = load();
    return t ? f(t) : undefined;
  };
  const sub = (t: Tables, base: number, s: number): Mid | undefined => t.classes.get(base)?.children.get(s);
  return {
    get available() { return path !== undefined && tables !== null; },
    path,
    vendor: (v) => get((t) => t.vendors.get(v)?.name),
    device: (v, d) => get((t) => t.vendors.get(v)?.children.get(d)?.name),
    subsystem: (v, d, sv, sd) => get((t) => t.vendors.get(v)?.children.get(d)?.children.get(sv * 0x10000 + sd)),
    className: (cls) => get((t) => sub(t, cls >>> 16, (cls >>> 8) & 0xff)?.name ?? t.classes.get(cls >>> 16)?.name),
    baseClassName: (base) => get((t) => t.classes.get(base)?.name),
    subclassName: (base, s) => get((t) => sub(t, base, s)?.name),
    progIfName: (base, s, p) => get((t) => sub(t, base, s)?.children.get(p)),
  };
}
