// The narrower question the awk and jq one-liners answer: "did anything write to a preserved
// device at an offset the policy protects?". The offsets are taken from the built policy and the
// device's real capability layout (the nvme of the bundled capture), so the one-liners look for
// exactly the registers cfgscope protects, without its roles, old values, RW1C or expect rules.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(`${ROOT}dist/${p}`);

/** Offsets at which a 1-, 2- or 4-byte aligned write touches a protected byte of `bdf`. */
export async function protectedOffsets(policySpec, capture, bdf) {
  const { loadPolicies } = await dist('policy/load-policy.js');
  const { registerRange } = await dist('policy/register-range.js');
  const { ruleApplies } = await dist('policy/evaluate-write.js');
  const { policy } = await loadPolicies([policySpec]);
  const id = readFileSync(capture, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"device"'))
    .map((l) => JSON.parse(l)).find((d) => d.bdf === bdf);
  if (!id) throw new Error(`${bdf} has no device record in ${capture}`);
  const bytes = new Set();
  let any = false;
  for (const rule of policy.rules) {
    if (rule.kind === 'target' || rule.kind === 'expect' || !ruleApplies(rule, 'preserved')) continue;
    const range = registerRange(rule.register, id);
    if (range === 'any') any = true;
    else if (range) for (let b = range[0]; b < range[1]; b++) bytes.add(b);
  }
  const offsets = new Set();
  for (const b of bytes) { offsets.add(b); offsets.add(b & ~1); offsets.add(b & ~3); }
  return { any, offsets: [...offsets].sort((a, b) => a - b) };
}
