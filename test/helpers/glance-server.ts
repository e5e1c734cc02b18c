/**
 * The real Glance the integration tests use: Debian's glance-api on loopback
 * (noauth, sqlite, file store), started by scripts/start-glance.sh. Tests call
 * {@link ensureGlance} in beforeAll; it is idempotent and cheap once Glance is up.
 */
import { join } from 'node:path';
import { REPO_ROOT, run } from './services.js';

/** State directory of the test Glance (config, sqlite, file store, logs). */
export const GLANCE_STATE_DIR = process.env.GLANCE_STATE_DIR ?? join(REPO_ROOT, '.state', 'glance');
/** Where the file store keeps image data: `<dir>/<image id>`. */
export const GLANCE_STORE_DIR = join(GLANCE_STATE_DIR, 'images');

let started: Promise<string> | null = null;

/** Starts the test Glance when it is not running and resolves with its URL (http://127.0.0.1:PORT). */
export function ensureGlance(): Promise<string> {
  started ??= (async () => {
    try {
      const { stdout } = await run('bash', [`${REPO_ROOT}scripts/start-glance.sh`, '--quiet'], {
        timeoutMs: 600_000,
        env: { ...process.env, GLANCE_STATE_DIR },
      });
      const url = stdout.trim().split('\n').pop() ?? '';
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`unexpected output: ${JSON.stringify(stdout)}`);
      return url;
    } catch (err) {
      started = null;
      throw new Error(
        `the test Glance could not be started: ${err instanceof Error ? err.message : String(err)}. ` +
          `Fix: run scripts/start-glance.sh by hand and read its output (logs in ${GLANCE_STATE_DIR}/logs/)`,
        { cause: err },
      );
    }
  })();
  return started;
}
