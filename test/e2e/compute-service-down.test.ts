/**
 * The compute service (the bridge) stops under a running instance: Nova must
 * show nova-compute down while it is unreachable, and once it runs again the
 * instance must still be reported and managed correctly. Docker keeps the
 * container running all along.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, run, waitFor } from '../helpers/services.js';
import {
  POWER_STATE,
  bootServer,
  closeOpenstackSessions,
  computeService,
  containerOf,
  deleteServers,
  e2e,
  openstack,
  powerState,
  serverShow,
  waitForServer,
  type ServerView,
} from './helpers/cloud.js';

const ctx = e2e();
const AIO = `${REPO_ROOT}test/e2e/aio.sh`;
const made: string[] = [];
let server: ServerView | undefined;

beforeAll(async () => {
  server = await bootServer(`${ctx.prefix}-survivor`);
  made.push(server.id);
});

afterAll(async () => {
  try {
    // Whatever happened, the cloud is left with its compute service running.
    await run('bash', [AIO, 'up'], { timeoutMs: 600_000 });
    await deleteServers(made);
  } finally {
    closeOpenstackSessions();
  }
});

function theServer(): ServerView {
  if (!server) throw new Error('no server: the boot in beforeAll failed');
  return server;
}

describe('compute service down and back', () => {
  test('aio.sh stop bridge: Nova shows nova-compute down; the container keeps running', async () => {
    const s = theServer();
    expect((await computeService()).State).toBe('up');
    await run('bash', [AIO, 'stop', 'bridge'], { timeoutMs: 60_000 });
    const row = await waitFor(
      async () => {
        const r = await computeService();
        return r.State === 'down' ? r : undefined;
      },
      { what: 'nova-compute State "down" in openstack compute service list', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(row.State).toBe('down');
    expect((await containerOf(s.id)).State.Status).toBe('running');
  });

  test('aio.sh up again: service up, the instance still Running and manageable', async () => {
    const s = theServer();
    await run('bash', [AIO, 'up'], { timeoutMs: 600_000 });
    const row = await waitFor(
      async () => {
        const r = await computeService();
        return r.State === 'up' && r.Status === 'enabled' ? r : undefined;
      },
      { what: 'nova-compute up and enabled again', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(row['Forced Down']).not.toBe(true);

    const shown = await serverShow(s.id);
    expect(shown.status).toBe('ACTIVE');
    expect(powerState(shown)).toBe(POWER_STATE.RUNNING);
    expect((await containerOf(s.id)).State.Status).toBe('running');

    // The restarted service answers for the instance it did not create.
    await openstack(['server', 'stop', s.id]);
    const stopped = await waitForServer(s.id, 'SHUTOFF');
    expect(powerState(stopped)).toBe(POWER_STATE.SHUTDOWN);
    expect((await containerOf(s.id)).State.Status).toBe('exited');
  });
});
