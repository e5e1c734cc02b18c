/**
 * Docker going away under a running service: the service uses a private
 * dockerd (its own data root, socket and network namespace; the shared Engine
 * is never touched). With that dockerd stopped, every call fails at once with a
 * Nova exception that names the unavailable Engine (no hang, nothing left
 * behind); when it comes back, the same service process serves calls again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { RemoteRpcError } from '../../../src/rpc/remote-failure.js';
import { PrivateDockerd } from './private-dockerd.js';
import {
  cleanupIdentity,
  containersFor,
  containersOf,
  instanceRef,
  newIdentity,
  novaImageMeta,
  novaInstance,
  ServiceProcess,
  spawnArgs,
  stateDirs,
  TEST_IMAGE,
  tsCaller,
  type ServiceIdentity,
  type TsCaller,
} from './service-env.js';

let pd: PrivateDockerd;
let id: ServiceIdentity;
let svc: ServiceProcess;
let rpc: TsCaller;

beforeAll(async () => {
  pd = PrivateDockerd.create();
  await pd.start();
  await pd.loadImage(TEST_IMAGE);
  // Short API timeout: a hang would show as a timeout well inside the test's bound.
  id = newIdentity('ndb-cbdown', { docker: { host_url: pd.hostUrl, api_timeout: 10 }, compute: { network_mode: 'none' } });
  [svc, rpc] = await Promise.all([ServiceProcess.start(id), tsCaller(id, { service: () => svc })]);
}, 180_000);

afterAll(async () => {
  await rpc?.close();
  await svc?.stop();
  if (pd) {
    if (!pd.running) await pd.start().catch(() => undefined);
    if (id) await cleanupIdentity(id, pd.docker);
    await pd.destroy();
  }
}, 120_000);

/** Calls and returns the remote failure with how long the call took. */
async function failure(method: string, args: Record<string, unknown>): Promise<{ err: RemoteRpcError; ms: number }> {
  const t = Date.now();
  const err = await rpc.call(method, args, 30_000).then(
    (v) => new Error(`${method} succeeded with ${JSON.stringify(v)} although dockerd is stopped`),
    (e: unknown) => e,
  );
  if (!(err instanceof RemoteRpcError)) throw err;
  return { err, ms: Date.now() - t };
}

const first = novaInstance();
const second = novaInstance();
const ref = { instance: instanceRef(first) };

describe('Docker stops under a running service, and comes back', () => {
  it('spawns on the private Engine', async () => {
    expect(await rpc.call('spawn', spawnArgs(first, novaImageMeta()))).toBeNull();
    expect((await containersFor(pd.docker, id.host, first.uuid)).map((c) => c.State)).toEqual(['running']);
  });

  it('with dockerd stopped, calls fail at once with the Nova class of the call, naming Docker unavailable', async () => {
    await pd.stop();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['get_info', ref, 'NovaException'],
      ['power_on', ref, 'InstancePowerOnFailure'],
      ['reboot', { ...ref, reboot_type: 'SOFT' }, 'InstanceRebootFailure'],
      // Node queries: Nova skips a driver that is "not ready" rather than dropping the node.
      ['list_instance_uuids', {}, 'VirtDriverNotReady'],
      ['get_available_resource', { nodename: id.host }, 'VirtDriverNotReady'],
      ['spawn', spawnArgs(second, novaImageMeta()), 'InstanceDeployFailure'],
    ];
    for (const [method, args, cls] of cases) {
      const { err, ms } = await failure(method, args);
      expect(`${err.remoteModule}.${err.remoteClass}`, `${method}: ${err.remoteMessage}`).toBe(`nova.exception.${cls}`);
      expect(err.remoteMessage, method).toMatch(/Docker Engine unreachable \((ENOENT|ECONNREFUSED)\)/);
      expect(err.remoteKwargs.error_code ?? err.remoteKwargs.cause_code, method).toMatch(/ERR_DOCKER_UNAVAILABLE|ERR_DEPLOY_FAILED/);
      expect(ms, `${method} took ${ms} ms`).toBeLessThan(3000);
    }
    // The failed spawn left nothing on this side either.
    expect(stateDirs(id)).toEqual([first.uuid]);
    expect(svc.child.exitCode).toBeNull();
  });

  it('when dockerd returns, the same service process serves calls again', async () => {
    const pid = svc.pid;
    await pd.start();
    // dockerd stopped the container on its way down.
    expect(await rpc.call('list_instance_uuids')).toEqual([first.uuid]);
    expect(await rpc.call('get_info', ref)).toMatchObject({ state: POWER_STATE.SHUTDOWN });
    await rpc.call('power_on', ref);
    expect(await rpc.call('get_info', ref)).toMatchObject({ state: POWER_STATE.RUNNING });
    expect(await rpc.call('spawn', spawnArgs(second, novaImageMeta()))).toBeNull();
    expect((await containersOf(pd.docker, id.host)).map((c) => c.State)).toEqual(['running', 'running']);
    await rpc.call('destroy', ref);
    await rpc.call('destroy', { instance: instanceRef(second) });
    expect(await containersOf(pd.docker, id.host)).toEqual([]);
    expect(stateDirs(id)).toEqual([]);
    expect(svc.pid).toBe(pid);
    expect(svc.child.exitCode).toBeNull();
    expect(svc.logs.filter((l) => l.level === 'ERROR' && l.msg !== 'driver call failed')).toEqual([]);
  });
});

describe('Docker absent when the service starts', () => {
  it('serve exits 1 with a start-up error naming the unreachable Engine (no hang, nothing consumed)', async () => {
    const other = newIdentity('ndb-cbdown0', { docker: { host_url: `unix://${pd.dir}/no-such.sock`, api_timeout: 10 } });
    try {
      const t = Date.now();
      const s = await ServiceProcess.start(other, { expectReady: false });
      const exit = await s.exited;
      expect(exit.code, s.output()).toBe(1);
      const ms = Date.now() - t;
      expect(ms, `serve took ${ms} ms to give up`).toBeLessThan(20_000);
      const failed = s.logged('start-up failed')[0];
      expect(failed, s.output()).toMatchObject({ code: 'ERR_DOCKER_UNAVAILABLE' });
      expect(String(failed?.error)).toMatch(/Docker Engine unreachable \(ENOENT\)/);
      expect(s.logged('compute service ready')).toEqual([]);
    } finally {
      await cleanupIdentity(other, pd.docker);
    }
  });
});
