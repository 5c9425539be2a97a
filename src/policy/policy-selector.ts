// `preserved` entries: which devices the policy marks preserved. Every field given must match
// (policy-types.ts DeviceSelector); BDFs are normalised to the kernel's `0000:02:00.0` form so
// the engine compares strings.

import { formatBdf, parseBdf } from '../model/bdf.js';
import type { DeviceSelector } from './policy-types.js';
import { SELECTOR_KEYS } from './policy-file.js';
import { at, checkKeys, isObject, jsonType, parseNumber, parseString, type FileProblems } from './policy-problems.js';

const ID_FIELDS = ['vendor', 'device', 'subvendor', 'subdevice'] as const;
const DRIVER_RE = /^[A-Za-z0-9_-]+$/;

export function parseSelector(raw: unknown, path: string, p: FileProblems): DeviceSelector | undefined {
  if (!isObject(raw)) {
    p.error(path, 'POLICY_BAD_SELECTOR', `expected an object such as {"bdf": "0000:02:00.0"}, got ${jsonType(raw)}`);
    return undefined;
  }
  checkKeys(raw, SELECTOR_KEYS, path, p);
  const known = Object.keys(raw).filter((k) => SELECTOR_KEYS.includes(k));
  if (known.length === 0) {
    p.error(path, 'POLICY_BAD_SELECTOR', `a selector needs at least one of ${SELECTOR_KEYS.join(', ')}`);
    return undefined;
  }
  const sel: DeviceSelector = {};
  let ok = true;
  if (raw.bdf !== undefined) {
    const text = parseString(raw.bdf, at(path, 'bdf'), p);
    const bdf = text !== undefined ? parseBdf(text) : null;
    if (text !== undefined && !bdf) p.error(at(path, 'bdf'), 'POLICY_BAD_SELECTOR', `"${text}" is not a PCI address like 0000:02:00.0`);
    if (bdf) sel.bdf = formatBdf(bdf.seg, bdf.bus, bdf.devfn);
    else ok = false;
  }
  for (const key of ID_FIELDS) {
    if (raw[key] === undefined) continue;
    const n = parseNumber(raw[key], at(path, key), p, 0xffff);
    if (n === undefined) ok = false;
    else sel[key] = n;
  }
  if (raw.class !== undefined) {
    const n = parseNumber(raw.class, at(path, 'class'), p, 0xffffff);
    if (n === undefined) ok = false;
    else sel.class = n;
  }
  if (raw.classMask !== undefined) {
    const n = parseNumber(raw.classMask, at(path, 'classMask'), p, 0xffffff);
    if (raw.class === undefined) {
      p.error(at(path, 'classMask'), 'POLICY_BAD_SELECTOR', 'classMask without class');
      ok = false;
    }
    if (n === undefined) ok = false;
    else sel.classMask = n;
  }
  if (raw.driver !== undefined) {
    const d = parseString(raw.driver, at(path, 'driver'), p);
    if (d !== undefined && !DRIVER_RE.test(d)) p.error(at(path, 'driver'), 'POLICY_BAD_SELECTOR', `"${d}" is not a driver name`);
    if (d !== undefined && DRIVER_RE.test(d)) sel.driver = d;
    else ok = false;
  }
  return ok ? sel : undefined;
}
