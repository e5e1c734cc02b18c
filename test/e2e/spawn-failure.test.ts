/**
 * A spawn that fails in Docker: the image's command exits at once. Nova must
 * put the server in ERROR with the service's reason (exit code and last
 * output) as its fault, and nothing may stay behind: no container, no
 * placement allocation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, TEST_IMAGE, run, waitFor } from '../helpers/services.js';
import {
  POWER_STATE,
  allocationsOf,
  bootServer,
  cliEnv,
  closeOpenstackSessions,
  containersOf,
  deleteServers,
  e2e,
  openstack,
  powerState,
} from './helpers/cloud.js';

const ctx = e2e();
const OUTPUT = 'e2e-boom-output';
const made: string[] = [];
let imageId: string | undefined;

beforeAll(async () => {
  // Same Docker image, a command that prints one line and exits 3.
  const out = await run(
    process.execPath,
    [
      `${REPO_ROOT}bin/glance-docker.js`, 'import', '--from-docker', TEST_IMAGE, '--name', `${ctx.prefix}-exits`,
      '--property', `os_command_line=sh -c 'echo ${OUTPUT}; exit 3'`, '--wait', '--quiet', '--format', 'json',
    ],
    { env: cliEnv(ctx.cloudsYaml), timeoutMs: 180_000 },
  );
  imageId = (JSON.parse(out.stdout) as { image: { id: string } }).image.id;
});

afterAll(async () => {
  try {
    await deleteServers(made);
    if (imageId) await openstack(['image', 'delete', imageId]).catch(() => undefined);
  } finally {
    closeOpenstackSessions();
  }
});

describe('spawn failure', () => {
  test('a command that exits at once: server ERROR with the Docker reason as fault, nothing left behind', async () => {
    if (!imageId) throw new Error('no image: the import in beforeAll failed');
    const server = await bootServer(`${ctx.prefix}-exits`, { image: imageId, expectError: true });
    made.push(server.id);
    expect(server.status).toBe('ERROR');
    expect(powerState(server)).toBe(POWER_STATE.NOSTATE);
    expect(server.fault?.message).toContain('exited at once with code 3');
    expect(server.fault?.message).toContain(OUTPUT);
    expect(await containersOf(server.id)).toEqual([]);
    // Nova drops the allocations of a failed build (after the fault is recorded).
    await waitFor(async () => (await allocationsOf(server.id)).length === 0, {
      what: `placement allocations of ${server.id} released`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  });
});
