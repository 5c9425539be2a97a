// node:crypto, loaded by the code that uses it when it first does: loading it costs ~5-10 ms of
// CPU at start-up, which most commands (a small `check`) never need. Node caches the module, so
// later calls cost a lookup.

import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');

export const nodeCrypto = (): Crypto => createRequire(import.meta.url)('node:crypto') as Crypto;
