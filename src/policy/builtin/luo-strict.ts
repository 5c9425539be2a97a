// `luo-strict`: the conservative test of the Live Update discussion (docs/policy.md, domain
// primer "two testing philosophies"): the new kernel writes nothing to a preserved device or to
// the bridges it depends on. A safe first run on real hardware; every write it flags is then
// explained, and the policy refined (luo-default) or extended with `expect` rules.

import type { PolicyFile } from '../policy-file.js';

export const LUO_STRICT: PolicyFile = {
  'cfgscope-policy': 1,
  name: 'luo-strict',
  description: 'No config-space write at all to preserved devices and the bridges they depend on.',
  rules: [
    {
      id: 'no-writes', kind: 'deny', register: '*', appliesTo: 'preserved+depended', severity: 'error',
      why: 'Conservative Live Update test: until each write is understood, any config-space write to a '
        + 'preserved device or to a bridge above it may break the DMA it keeps doing across kexec.',
    },
  ],
};
