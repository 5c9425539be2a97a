// The lab's pinned package versions (test/lab/lab-env.sh): the check that runs before anything is
// downloaded, fed `apt-cache madison` output recorded on this machine (test/fixtures/lab-pins/), and
// the message the lab stops with when bookworm-security has dropped a pinned build.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
const pins = `${root}test/fixtures/lab-pins`;

/** Runs SCRIPT in bash after sourcing lab-env.sh (as the lab's scripts do). */
function labBash(script: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `. test/lab/lab-env.sh\n${script}`], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('lab_pin_check: a pinned version against apt-cache madison', () => {
  it('is silent when the archive offers exactly the pinned version (both kernels\' packages)', () => {
    for (const spec of ['linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1', 'linux-image-6.12.118+deb12-amd64-dbg 6.12.118-1~deb12u1',
      'qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3']) {
      const r = labBash(`lab_pin_check ${spec} <${pins}/madison-pinned.txt`);
      expect([r.code, r.stdout], spec).toEqual([0, '']);
    }
  });

  it('names the package, the pinned version and the versions the archive has instead', () => {
    const r = labBash(`lab_pin_check xz-utils 5.4.1-1 <${pins}/madison-pinned.txt`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('xz-utils 5.4.1-1 is pinned, but the archive has only 5.4.1-1+deb12u2 (bookworm-security), 5.4.1-1+deb12u1 (bookworm)\n');
  });

  it('a version is matched exactly, not as a prefix', () => {
    const r = labBash(`lab_pin_check qemu-system-x86 1:7.2+dfsg-7+deb12u18 <${pins}/madison-pinned.txt`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('has only 1:7.2+dfsg-7+deb12u18+b3 (bookworm), 1:7.2+dfsg-7+deb12u15 (bookworm-security)');
  });

  it('a kernel build gone altogether: the newest builds of the same series instead', () => {
    const r = labBash(`lab_pin_check linux-image-6.12.95+deb12-amd64-unsigned 6.12.95-1~deb12u1 <${pins}/madison-6.12-siblings.txt`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('linux-image-6.12.95+deb12-amd64-unsigned 6.12.95-1~deb12u1 is pinned, but the archive has no linux-image-6.12.95+deb12-amd64-unsigned at all; '
      + 'it has linux-image-6.12.115+deb12-amd64-unsigned 6.12.115-2~deb12u1 (bookworm-security), linux-image-6.12.117+deb12-amd64-unsigned 6.12.117-1~deb12u1 (bookworm-security), '
      + 'linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1 (bookworm-security)\n');
  });

  it('lab_sibling_regex: the same kernel series and flavour, any build', () => {
    const r = labBash('lab_sibling_regex linux-image-6.12.118+deb12-amd64-unsigned; lab_sibling_regex linux-image-6.1.0-56-amd64-dbg; lab_sibling_regex libxenmisc4.17');
    expect(r.stdout.split('\n')).toEqual(['^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-amd[0-9]+-unsigned$', '^linux-image-6\\.1\\.[0-9]+-[0-9]+-amd[0-9]+-dbg$', '^libxenmisc4\\.17$', '']);
    const re = (s: string): RegExp => new RegExp(s);
    const [k612, dbg61] = r.stdout.split('\n');
    expect(re(k612!).test('linux-image-6.12.120+deb12-amd64-unsigned')).toBe(true);
    expect(re(k612!).test('linux-image-6.12.120+deb12-cloud-amd64-unsigned')).toBe(false);
    expect(re(dbg61!).test('linux-image-6.1.0-57-amd64-dbg')).toBe(true);
  });
});

describe('lab_require_pins: the lab stops before downloading', () => {
  // apt-cache answers from the recorded files; apt-get update only says it ran (no network).
  const stubs = `apt-cache() { case $1 in madison) cat ${pins}/madison-6.12-siblings.txt ;; search) printf '%s - k\\n' linux-image-6.12.117+deb12-amd64-unsigned ;; esac; }
apt-get() { echo "apt-get $*" >&2; }`;

  it('names the vanished kernel build and what the archive has now, after one apt-get update, exit 1', () => {
    const r = labBash(`${stubs}\nlab_require_pins linux-image-6.12.95+deb12-amd64-unsigned=6.12.95-1~deb12u1\necho not reached`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/^apt-get update/gm)).toHaveLength(1);
    expect(r.stderr).toContain("[lab] ERROR: a pinned package version is no longer in Debian's archive:\n"
      + 'linux-image-6.12.95+deb12-amd64-unsigned 6.12.95-1~deb12u1 is pinned, but the archive has no linux-image-6.12.95+deb12-amd64-unsigned at all; it has ');
    expect(r.stderr).toContain('linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1 (bookworm-security)');
    expect(r.stderr).toContain('KERNEL_PACKAGE/KERNEL_VERSION');
  });

  it('passes without apt-get update when every pin is there', () => {
    const r = labBash(`${stubs}\nlab_require_pins linux-image-6.12.118+deb12-amd64-unsigned=6.12.118-1~deb12u1 && echo ok`);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'ok\n', '']);
  });

  it('every kernel\'s pins are name=version: the kernel, the kexec packages, the host packages', () => {
    for (const kernel of ['6.1', '6.12']) {
      const r = labBash('printf "%s\\n" "$KERNEL_PACKAGE=$KERNEL_VERSION" "${KEXEC_PACKAGES[@]}" "${HOST_PACKAGES[@]}"', { LAB_KERNEL: kernel });
      const specs = r.stdout.trim().split('\n');
      expect(specs.length).toBe(1 + 12 + 7);
      for (const s of specs) expect(s, `${kernel}: ${s}`).toMatch(/^[a-z0-9][a-z0-9.+-]*=[0-9][\w.+:~-]*$/);
    }
  });
});
