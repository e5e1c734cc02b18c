/**
 * SIGKILL of the service in the middle of a spawn, at exact points: the
 * service reaches dockerd through a socket proxy that holds one chosen Engine
 * request, so the kill lands (1) after create, with start on its way — a
 * half-made "created" container — and (2) after start, while spawn waits for
 * "running" — a running container Nova was never told about. After a restart,
 * start-up reconciliation must leave no orphan, and the retried spawn of the
 * same UUID (what Nova does after its call timed out) must converge on one
 * running container.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSocketProxy, type SeenRequest } from './docker-socket-proxy.js';
import {
  cleanupIdentity,
  containersFor,
  containersOf,
  dockerAt,
  instanceRef,
  newIdentity,
  novaImageMeta,
  novaInstance,
  ServiceProcess,
  spawnArgs,
  stateDirs,
  tsCaller,
  type NovaInstance,
  type ServiceIdentity,
  type TsCaller,
  writeConfig,
} from './service-env.js';

const docker = dockerAt();
let id: ServiceIdentity;
let proxy: DockerSocketProxy;
let svc: ServiceProcess;
let rpc: TsCaller;
/** Every service process this file started (for their queues). */
const started: ServiceProcess[] = [];

beforeAll(async () => {
  id = newIdentity('ndb-cbkill');
  proxy = await DockerSocketProxy.start(path.join(id.dir, 'docker-proxy.sock'));
  writeConfig(id, { docker: { host_url: `unix://${proxy.socketPath}` } });
  [svc, rpc] = await Promise.all([ServiceProcess.start(id), tsCaller(id, { service: () => svc })]);
  started.push(svc);
});

afterAll(async () => {
  await rpc?.close();
  await svc?.stop();
  await proxy?.close();
  await cleanupIdentity(id, docker, started);
});

const isStart = (r: SeenRequest): boolean => r.method === 'POST' && /\/containers\/[^/]+\/start\b/.test(r.path);

/** Sends spawn, waits until the proxy holds the chosen request, SIGKILLs the service. */
async function killDuringSpawn(inst: NovaInstance, hold: (r: SeenRequest) => boolean): Promise<void> {
  const held = proxy.holdNext(hold);
  // Nova's call would time out; here the client is closed later, which fails the call.
  // The raw client: rpc.call would fail at once when the service dies, which is the point here.
  const call = rpc.client.call('spawn', spawnArgs(inst, novaImageMeta()), { timeoutMs: 120_000 }).then(
    () => new Error('spawn answered although the service was killed'),
    (e: unknown) => e,
  );
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the proxy never saw the request to hold; seen: ${JSON.stringify(proxy.seen.slice(-10))}`)), 30_000));
  await Promise.race([held, timeout]);
  await svc.kill();
  expect(await Promise.race([call, new Promise((r) => setTimeout(() => r('no answer'), 300))])).toBe('no answer');
}

/** Restart on the same config; returns the reconciliation summary the service logged. */
async function restart(): Promise<Record<string, unknown>> {
  svc = await ServiceProcess.start(id);
  started.push(svc);
  const line = svc.logged('host initialized')[0];
  expect(line, svc.output()).toBeDefined();
  return line as Record<string, unknown>;
}

describe('killed after create, before start', () => {
  const inst = novaInstance();

  it('leaves a created container with a spawn marker (the crash state)', async () => {
    await killDuringSpawn(inst, isStart);
    const cs = await containersFor(docker, id.host, inst.uuid);
    expect(cs.map((c) => c.State)).toEqual(['created']);
    const marker = JSON.parse(readFileSync(path.join(id.stateDir, inst.uuid, 'operation.json'), 'utf8')) as { operation: string };
    expect(marker.operation).toBe('spawn');
  });

  it('the restarted service removes the half-made container and its state at start-up', async () => {
    const summary = await restart();
    expect(summary).toMatchObject({ removed: 1, interrupted: 0 });
    const removed = svc.logged('removed a container left half-made by an interrupted spawn');
    expect(removed.map((l) => l.instance)).toEqual([inst.uuid]);
    // At-most-once, as oslo: the killed request was acknowledged when it arrived, so the
    // restarted service does not replay it and re-create the container behind Nova's back.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await containersOf(docker, id.host)).toEqual([]);
    expect(stateDirs(id)).toEqual([]);
  });

  it('the retried spawn converges on one running container', async () => {
    expect(await rpc.call('spawn', spawnArgs(inst, novaImageMeta()))).toBeNull();
    expect((await containersFor(docker, id.host, inst.uuid)).map((c) => c.State)).toEqual(['running']);
    expect(existsSync(path.join(id.stateDir, inst.uuid, 'operation.json'))).toBe(false);
    expect(await rpc.call('get_info', { instance: instanceRef(inst) })).toMatchObject({ state: 1 });
  });
});

describe('killed after start, while spawn waits for "running"', () => {
  const inst = novaInstance();

  it('leaves a running container with a spawn marker; the earlier instance is untouched', async () => {
    let started = false;
    await killDuringSpawn(inst, (r) => {
      if (isStart(r)) started = true;
      return started && r.method === 'GET' && /\/containers\/[0-9a-f]{64}\/json/.test(r.path);
    });
    expect((await containersFor(docker, id.host, inst.uuid)).map((c) => c.State)).toEqual(['running']);
    expect(existsSync(path.join(id.stateDir, inst.uuid, 'operation.json'))).toBe(true);
    expect((await containersOf(docker, id.host)).length).toBe(2);
  });

  it('reconciliation removes only the unreported one; the retried spawn converges', async () => {
    const summary = await restart();
    expect(summary).toMatchObject({ removed: 1, interrupted: 0, orphan_directories: 0 });
    expect(await containersFor(docker, id.host, inst.uuid)).toEqual([]);
    expect(stateDirs(id)).not.toContain(inst.uuid);
    // The instance spawned before the first kill survived both crashes.
    expect((await containersOf(docker, id.host)).map((c) => c.State)).toEqual(['running']);

    expect(await rpc.call('spawn', spawnArgs(inst, novaImageMeta()))).toBeNull();
    expect((await containersFor(docker, id.host, inst.uuid)).map((c) => c.State)).toEqual(['running']);
    expect((await containersOf(docker, id.host)).length).toBe(2);
  });
});
