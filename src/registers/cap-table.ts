// Lookup of capability definitions by id or by name, with each definition's register index built
// once at load. The tables are frozen: nothing here changes after import.

import { EXT_CAPS, unknownExtCap } from './ext-caps.js';
import { indexRegs, type RegIndex } from './reg-index.js';
import { STD_CAPS, unknownStdCap } from './std-caps.js';
import type { CapDef } from './types.js';

export type CapSpace = 'cap' | 'ecap';

export interface IndexedCap {
  readonly def: CapDef;
  readonly space: CapSpace;
  readonly index: RegIndex;
}

const indexed = (space: CapSpace, def: CapDef): IndexedCap => Object.freeze({ def, space, index: indexRegs(def.regs) });

const STD = new Map<number, IndexedCap>(STD_CAPS.map((d) => [d.id, indexed('cap', d)]));
const EXT = new Map<number, IndexedCap>(EXT_CAPS.map((d) => [d.id, indexed('ecap', d)]));
const BY_NAME = new Map<string, IndexedCap>([...STD.values(), ...EXT.values()].map((c) => [c.def.name.toUpperCase(), c]));

/** The definition of a standard capability id; an id nobody names gets a generic one (`CAP0x15`). */
export const stdCap = (id: number): IndexedCap => STD.get(id) ?? indexed('cap', unknownStdCap(id));

/** The definition of an extended capability id; unnamed ids get a generic one (`ECAP0x002e`). */
export const extCap = (id: number): IndexedCap => EXT.get(id) ?? indexed('ecap', unknownExtCap(id));

/** setpci name of a capability id: `CAP_EXP`, `CAP0x15`. */
export const capName = (id: number): string => stdCap(id).def.name;

/** setpci name of an extended capability id: `ECAP_ACS`, `ECAP0x002e`. */
export const ecapName = (id: number): string => extCap(id).def.name;

const NUMERIC = /^(E?CAP)(?:0X)?([0-9A-F]+)$/;

/** A capability by setpci name, named (`CAP_EXP`) or numeric (`CAP0x15`, `ECAP002e`), case-insensitive. */
export function capByName(name: string): IndexedCap | undefined {
  const upper = name.toUpperCase();
  const known = BY_NAME.get(upper);
  if (known) return known;
  const m = NUMERIC.exec(upper);
  if (!m) return undefined;
  const id = parseInt(m[2]!, 16);
  return m[1] === 'CAP' ? stdCap(id) : extCap(id);
}

export const allStdCaps = (): readonly IndexedCap[] => [...STD.values()];
export const allExtCaps = (): readonly IndexedCap[] => [...EXT.values()];
