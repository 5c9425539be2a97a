#!/usr/bin/env node
// Writes a capture naming many distinct devices with a few accesses each: what a config-space scan
// of a huge (or forged) topology looks like, for the memory tests and the bench. Every record is
// taken from the real QEMU q35 capture (replays/qemu-6.1-q35-basic/kernel.capture.ndjson) and
// re-addressed: device n sits at segment 1 + n / 65536, bus (n >> 8) & 0xff, devfn n & 0xff.
// Three devices in four are found by the trace alone: the enumeration reads of the real capture
// (vendor/device at 0x00, class at 0x08, header type at 0x0c) answered with the real devices'
// config bytes, then the real COMMAND write. The fourth comes with its real device record
// (config snapshot included) and the first three writes the kernel made to that device.
// Usage: node test/pipeline/many-devices-capture.mjs <devices> <out.ndjson>

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MANY_DEVICES_SOURCE = `${ROOT}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;

/** Dword `off` of a capture's config hex (`..` unknown): null when a byte is unknown. */
function dword(hex, off) {
  let v = 0;
  for (let i = 3; i >= 0; i--) {
    const b = hex.slice((off + i) * 2, (off + i) * 2 + 2);
    if (b.length < 2 || b === '..') return null;
    v = v * 256 + parseInt(b, 16);
  }
  return v;
}

function loadTemplates(file) {
  let header = null;
  const stacks = [];
  const devices = [];
  const writes = new Map();
  let read = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line);
    if (r.t === 'header') header = r;
    else if (r.t === 'stack') stacks.push(r);
    else if (r.t === 'device') devices.push(r);
    else if (r.t === 'access' && r.known) {
      const key = `${r.bus}:${r.devfn}`;
      if (r.op === 'w') writes.set(key, [...(writes.get(key) ?? []), r]);
      else if (read === null && r.off === 0 && r.size === 4) read = r;
    }
  }
  const templates = devices
    .map((d) => ({ device: d, writes: (writes.get(`${parseInt(d.bdf.slice(5, 7), 16)}:${devfnOf(d.bdf)}`) ?? []).slice(0, 3) }))
    .filter((t) => t.writes.length === 3 && [0, 8, 12].every((o) => dword(t.device.config ?? '', o) !== null));
  return { header, stacks, templates, read };
}

function devfnOf(bdf) {
  const [dev, fn] = bdf.slice(8).split('.');
  return (parseInt(dev, 16) << 3) | Number(fn);
}

const bdfOf = (seg, bus, devfn) =>
  `${seg.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:${(devfn >> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;

/**
 * Writes the capture; returns what it holds: { devices, accesses, reads, writes, deviceRecords,
 * withRecord } (withRecord: devices given by a device record; the others are found by reads).
 */
export function makeManyDevices(n, out, source = MANY_DEVICES_SOURCE) {
  const { header, stacks, templates, read } = loadTemplates(source);
  if (templates.length === 0 || read === null) throw new Error(`${source}: no usable device template`);
  const fd = openSync(out, 'w');
  let buf = '';
  const put = (r) => {
    buf += `${JSON.stringify(r)}\n`;
    if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
  };
  put(header);
  for (const s of stacks) put(s);
  const c = { devices: n, accesses: 0, reads: 0, writes: 0, deviceRecords: 0, withRecord: 0 };
  let ts = 1;
  let line = 1;
  const access = (tpl, seg, bus, devfn, over) => {
    put({ ...tpl, ts: Math.round((ts += 1e-5) * 1e6) / 1e6, seg, bus, devfn, line: line++, ...over });
    c.accesses++;
    if ((over.op ?? tpl.op) === 'r') c.reads++; else c.writes++;
  };
  for (let i = 0; i < n; i++) {
    const seg = 1 + Math.floor(i / 65536);
    const bus = (i >> 8) & 0xff;
    const devfn = i & 0xff;
    const t = templates[i % templates.length];
    if (i % 4 === 3) {
      put({ ...t.device, bdf: bdfOf(seg, bus, devfn) });
      c.deviceRecords++;
      c.withRecord++;
      for (const w of t.writes) access(w, seg, bus, devfn, {});
      continue;
    }
    for (const off of [0, 8, 12]) access(read, seg, bus, devfn, { off, val: dword(t.device.config, off), ret: 0 });
    access(t.writes[0], seg, bus, devfn, {});
  }
  put({
    t: 'trailer',
    counts: {
      accesses: c.accesses, reads: c.reads, writes: c.writes, unknownAccesses: 0, devices: c.deviceRecords,
      stacks: stacks.length, phases: 0, lostEvents: 0, skipped: 0, nestedMerged: 0, ignoredLines: 0,
    },
    complete: true,
  });
  writeSync(fd, buf);
  closeSync(fd);
  return c;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [nArg, out] = process.argv.slice(2);
  if (!nArg || !out) {
    console.error('usage: many-devices-capture.mjs <devices> <out.ndjson>');
    process.exit(64);
  }
  console.error(JSON.stringify(makeManyDevices(Number(nArg), out)));
}
