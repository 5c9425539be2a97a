// The built-in policies, by the name a spec or an `extends` entry uses. They are TypeScript
// modules rather than JSON files because tsc does not copy JSON into dist/; load-policy.ts still
// runs each through parsePolicy, so a built-in is validated exactly like a user's file.

import type { PolicyFile } from '../policy-file.js';
import { LUO_BUSMASTER } from './luo-busmaster.js';
import { LUO_DEFAULT } from './luo-default.js';
import { LUO_STRICT } from './luo-strict.js';
import { PCI_LIVEUPDATE } from './pci-liveupdate.js';

const BUILTINS: ReadonlyMap<string, PolicyFile> = new Map([
  ['luo-strict', LUO_STRICT],
  ['luo-busmaster', LUO_BUSMASTER],
  ['luo-default', LUO_DEFAULT],
  ['pci-liveupdate', PCI_LIVEUPDATE],
]);

export const BUILTIN_NAMES: readonly string[] = Object.freeze([...BUILTINS.keys()]);

/** A built-in policy as its JSON-shaped object; undefined for an unknown name. */
export const builtinPolicy = (name: string): PolicyFile | undefined => BUILTINS.get(name);
