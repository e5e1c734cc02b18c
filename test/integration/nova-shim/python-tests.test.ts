/**
 * The Nova shim's own tests (nova-shim/tests, Python unittest) as part of
 * `npm test`: Debian's real Nova under /usr/bin/python3, the driver in-process
 * against a real compute service on the local broker, the test Glance, dockerd
 * and a SQLite Nova database (see nova-shim/README.md). They need python3-nova
 * (scripts/setup.sh --with-nova); without it this fails and says so.
 */
import { describe, expect, test } from 'vitest';
import { PYTHON, REPO_ROOT, python, run } from '../../helpers/services.js';

/** How many Python tests exist at least; fewer means discovery lost a module. */
const MIN_TESTS = 30;

describe('nova-shim Python tests (unittest, Debian python3-nova)', () => {
  test('python3 -m unittest discover -s nova-shim/tests passes', { timeout: 900_000 }, async () => {
    try {
      await python(['-c', 'import nova.virt.driver, nova.db.migration'], { timeoutMs: 60_000 });
    } catch (err) {
      throw new Error(
        `${PYTHON} cannot import Nova (${(err as Error).message}). ` +
          'The shim tests need Debian\'s python3-nova: run "bash scripts/setup.sh --with-nova" as root.',
        { cause: err },
      );
    }
    let stderr: string;
    try {
      ({ stderr } = await run(PYTHON, ['-m', 'unittest', 'discover', '-s', 'nova-shim/tests', '-v'], { timeoutMs: 840_000, cwd: REPO_ROOT }));
    } catch (err) {
      // run() keeps the last 2000 characters of the output: unittest's failure summary.
      throw new Error(`the nova-shim Python tests failed:\n${(err as Error).message}`, { cause: err });
    }
    const ran = /^Ran (\d+) tests? in /m.exec(stderr);
    expect(ran, `no "Ran N tests" line in:\n${stderr.slice(-2000)}`).not.toBeNull();
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(MIN_TESTS);
    expect(stderr).toMatch(/^OK\s*$/m);
    expect(stderr).not.toMatch(/\.\.\. (skipped|expected failure)/);
  });
});
