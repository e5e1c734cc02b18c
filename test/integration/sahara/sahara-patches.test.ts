/**
 * sahara-patches/ against Debian's real Sahara 16 (python3-sahara), on a copy
 * of the installed package: apply.sh applies, is idempotent, checks, reverts,
 * and refuses a tree it does not fit without touching it; our tests fail on
 * the pristine package and pass on the patched one; Sahara's own unit tests
 * of the patched modules still pass.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, REPO_ROOT, run } from '../../helpers/services.js';

const APPLY = path.join(REPO_ROOT, 'sahara-patches', 'apply.sh');
const OUR_TESTS = path.join(REPO_ROOT, 'sahara-patches', 'tests');
const PATCHED = ['sahara/service/engine.py', 'sahara/service/volumes.py'];

let installed: string;
let work: string;

/** Runs a command, resolving with its exit code and output whatever the code. */
async function exitOf(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  try {
    const r = await run(file, args, { timeoutMs: 180_000, ...(env ? { env: { ...process.env, ...env } } : {}) });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const m = /failed \(exit code (\d+)\): ([\s\S]*)$/.exec((err as Error).message);
    if (m === null) throw err;
    return { code: Number(m[1]), out: m[2] ?? '' };
  }
}

/** A fresh copy of the installed sahara package, as a --target / PYTHONPATH directory. */
function copyOfSahara(name: string): string {
  const dir = path.join(work, name);
  cpSync(path.join(installed, 'sahara'), path.join(dir, 'sahara'), { recursive: true });
  return dir;
}

beforeAll(async () => {
  const probe = await exitOf(PYTHON, ['-c', 'import os, sahara, oslotest, pytest; print(os.path.dirname(os.path.dirname(sahara.__file__)))']);
  if (probe.code !== 0) {
    throw new Error(`Sahara's Python packages are missing (${probe.out.trim().split('\n').pop()}): run bash scripts/setup.sh (it installs python3-sahara python3-oslotest python3-pytest patch)`);
  }
  installed = probe.out.trim();
  work = mkdtempSync(path.join(tmpdir(), 'sahara-patches-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('apply.sh', () => {
  it('checks, applies once, skips when applied, and reverts to the pristine files', async () => {
    const target = copyOfSahara('cycle');
    const before = await exitOf(APPLY, ['--check', '--target', target]);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(/engine-hostname-resolv-conf\.patch: missing/);
    expect((await exitOf(APPLY, ['--target', target])).out).toMatch(/volumes-skip-instances-without-volumes\.patch: applied/);
    expect((await exitOf(APPLY, ['--target', target])).out).toMatch(/already applied/);
    expect(await exitOf(APPLY, ['--check', '--target', target])).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(target, PATCHED[1]!), 'utf8')).toContain('if not instance.node_group.volumes_per_node:');
    expect((await exitOf(APPLY, ['--revert', '--target', target])).out).toMatch(/reverted/);
    for (const f of PATCHED) expect(readFileSync(path.join(target, f), 'utf8')).toBe(readFileSync(path.join(installed, f), 'utf8'));
  });

  it('refuses a tree one patch does not fit, and changes nothing in it', async () => {
    const target = copyOfSahara('conflict');
    const engine = path.join(target, PATCHED[0]!);
    writeFileSync(engine, readFileSync(engine, 'utf8').replace("r.execute_command('sudo hostname %s' % hostname)", "r.execute_command('sudo hostname -b %s' % hostname)"));
    const r = await exitOf(APPLY, ['--target', target]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/engine-hostname-resolv-conf\.patch: does not fit/);
    // The volumes patch would fit, but a run stops whole.
    expect(readFileSync(path.join(target, PATCHED[1]!), 'utf8')).toBe(readFileSync(path.join(installed, PATCHED[1]!), 'utf8'));
  });

  it('says what is wrong with a target that holds no Sahara', async () => {
    const r = await exitOf(APPLY, ['--target', work]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/holds no sahara package/);
  });
});

describe('the patches on Sahara 16', () => {
  let patched: string;
  beforeAll(async () => {
    patched = copyOfSahara('patched');
    await run(APPLY, ['--target', patched]);
  });

  it('our tests fail on the pristine package (each patch is needed)', async () => {
    for (const t of ['test_sudo_hostname_does_not_raise', 'test_resolv_conf_is_copied_then_removed', 'test_instances_without_volumes_are_skipped']) {
      const r = await exitOf(PYTHON, ['-m', 'unittest', 'discover', '-s', OUR_TESTS, '-k', t], { PYTHONPATH: '' });
      expect(r.out, t).toMatch(/Ran 1 test[\s\S]*FAILED/);
      expect(r.code, t).not.toBe(0);
    }
  });

  it('our tests pass on the patched package', async () => {
    const r = await exitOf(PYTHON, ['-m', 'unittest', 'discover', '-s', OUR_TESTS], { PYTHONPATH: patched });
    expect(r.out).toMatch(/Ran 5 tests[\s\S]*\nOK/);
    expect(r.code).toBe(0);
  });

  it("Sahara's own unit tests of the patched modules still pass", async () => {
    const tests = ['service/test_engine.py', 'service/test_volumes.py', 'service/heat/test_templates.py'].map((t) => path.join(patched, 'sahara', 'tests', 'unit', t));
    const r = await exitOf(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...tests], { PYTHONPATH: patched });
    expect(r.out).toMatch(/\d+ passed/);
    expect(r.out).not.toMatch(/failed|error/i);
    expect(r.code).toBe(0);
  });
});
