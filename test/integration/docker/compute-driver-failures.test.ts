/**
 * The compute driver against the real dockerd: bad input and failures leave
 * nothing behind, duplicated spawns converge, start-up reconciliation removes
 * half-made containers, privileges come only from the operator, an absent
 * Engine gives clear errors.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComputeEndpoint } from '../../../src/compute/compute-endpoint.js';
import { DockerComputeDriver } from '../../../src/compute/docker-compute-driver.js';
import { novaFailureMapper } from '../../../src/compute/nova-failure-mapper.js';
import { parseSpawnArgs } from '../../../src/compute/payloads.js';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import type { RequestContext } from '../../../src/rpc/rpc-endpoint.js';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { BridgeError, isBridgeError } from '../../../src/errors/bridge-error.js';
import { silentLogger } from '../../../src/log/logger.js';
import { run } from '../../helpers/services.js';
import { TEST_IMAGE, createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from './driver-test-env.js';

let env: DriverEnv;
beforeAll(() => {
  env = createDriverEnv();
});
afterAll(async () => {
  await env.cleanup();
});

const ctx: RequestContext = { values: {}, requestId: 'req-test', authToken: undefined, clientTimeout: null };

async function ourContainers(): Promise<string[]> {
  const cs = await env.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${env.host}`] }) });
  return cs.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
}

async function expectNothingFor(uuid: string): Promise<void> {
  expect(await ourContainers()).not.toContain(`nova-${uuid}`);
  const err = await env.docker.getContainer(`nova-${uuid}`).inspect().catch((e: { statusCode?: number }) => e);
  expect((err as { statusCode?: number }).statusCode).toBe(404);
  expect(existsSync(path.join(env.stateDir, uuid))).toBe(false);
}

describe('bad payloads through the endpoint: refused, nothing created', () => {
  const cases: Array<[string, (p: Record<string, unknown>) => void, RegExp]> = [
    ['flavor missing', (p) => delete (p.instance as Record<string, unknown>).flavor, /instance\.flavor is required/],
    ['vcpus not an integer', (p) => (((p.instance as Record<string, unknown>).flavor as Record<string, unknown>).vcpus = '2'), /instance\.flavor\.vcpus must be an integer, got "2"/],
    ['bad hostname', (p) => ((p.instance as Record<string, unknown>).hostname = 'bad_host!'), /instance\.hostname must be an RFC 1123 host name/],
    ['injected file outside the root', (p) => (p.injected_files = [['/etc/../../x', 'eA==']]), /injected_files\[0\]\[0\] must be a normalized path/],
    ['power_on not a boolean', (p) => (p.power_on = 'yes'), /power_on must be true or false/],
    ['dns not an IP', (p) => (p.network_info = [{ network: { subnets: [{ dns: [{ address: 'dns.example' }] }] } }]), /network_info\[0\]\.network\.subnets\[0\]\.dns\[0\]\.address must be an IP address/],
    ['unbalanced quote in os_command_line', (p) => (((p.image_meta as Record<string, unknown>).properties as Record<string, unknown>).os_command_line = 'sh -c "sleep 1'), /os_command_line cannot be split into words: unterminated double quote/],
    ['memory below Docker minimum', (p) => (((p.instance as Record<string, unknown>).flavor as Record<string, unknown>).memory_mb = 4), /memory_mb must be at least 6/],
    ['password with a newline', (p) => (p.admin_password = 'pw\nroot:owned'), /admin_password must not contain control characters/],
  ];
  const endpoint = (): ReturnType<typeof createComputeEndpoint> => createComputeEndpoint(env.driver, silentLogger);

  it.each(cases)('%s', async (_name, mutate, message) => {
    const payload = spawnPayload();
    mutate(payload);
    const uuid = (payload.instance as { uuid: string }).uuid;
    const err = await Promise.resolve(endpoint().methods.spawn?.(ctx, payload, new AbortController().signal)).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as BridgeError).details.operation).toBe('spawn');
    const remote = novaFailureMapper(err);
    expect(remote).toMatchObject({ module: 'nova.exception', class: 'InvalidInput' });
    await expectNothingFor(uuid);
  });
});

describe('spawn failures clean up completely', () => {
  it('a missing image is ERR_IMAGE_NOT_FOUND naming the references tried; nothing created', async () => {
    const payload = spawnPayload({ image: { id: '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00', name: 'no-such/image:1' } });
    const args = parseSpawnArgs(payload);
    const err = await env.driver.spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_IMAGE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('glance-image:0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00');
    expect((err as Error).message).toContain('no-such/image:1');
    expect(novaFailureMapper(err)).toMatchObject({ class: 'ImageNotFound', kwargs: { image_id: '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00', code: 404 } });
    await expectNothingFor(args.instance.uuid);
  });

  it('a wrong container_format is refused before anything is created', async () => {
    const args = parseSpawnArgs(spawnPayload({ image: { container_format: 'bare' } }));
    const err = await env.driver.spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_IMAGE')).toBe(true);
    await expectNothingFor(args.instance.uuid);
  });

  it('a command that exits at once is a deploy failure with its output; container and state removed', async () => {
    // The start grace makes "at once" deterministic: the command must outlive it.
    const d = env.withSettings({ startGraceMs: 3000 });
    const args = parseSpawnArgs(spawnPayload({ command: 'sh -c "echo about-to-fail; exit 3"' }));
    const t0 = Date.now();
    const err = await d.spawn(args).catch((e: unknown) => e);
    // The wait API reports the exit as it happens: no need to sit out the grace.
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(isBridgeError(err, 'ERR_DEPLOY_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/exited at once with code 3/);
    expect((err as Error).message).toContain('about-to-fail');
    expect(novaFailureMapper(err).class).toBe('InstanceDeployFailure');
    await expectNothingFor(args.instance.uuid);
  });

  it('a command that does not exist in the image fails the spawn; nothing left (with init: the init reports 127)', async () => {
    const d = env.withSettings({ startGraceMs: 3000 });
    const args = parseSpawnArgs(spawnPayload({ command: '/no/such/binary' }));
    const err = await d.spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DEPLOY_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/exited at once with code 127/);
    await expectNothingFor(args.instance.uuid);
  });

  it('without init, a missing binary fails Docker\'s start itself; nothing left', async () => {
    const d = env.withSettings({ init: false });
    const args = parseSpawnArgs(spawnPayload({ command: '/no/such/binary' }));
    const err = await d.spawn(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as Error).message).toMatch(/no such file or directory|not found/i);
    await expectNothingFor(args.instance.uuid);
  });

  it('a healthy container passes the start grace', async () => {
    const d = env.withSettings({ startGraceMs: 300 });
    const args = parseSpawnArgs(spawnPayload());
    const t0 = Date.now();
    await d.spawn(args);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect((await d.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
    await d.destroy({ instance: args.instance });
  });

  it('a cancelled spawn removes what it created', async () => {
    const args = parseSpawnArgs(spawnPayload());
    const ac = new AbortController();
    const p = env.driver.spawn(args, ac.signal);
    setTimeout(() => ac.abort(), 30);
    const err = await p.catch((e: unknown) => e);
    if (err === undefined) {
      // The spawn won the race: then it must be complete and running.
      expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
      await env.driver.destroy({ instance: args.instance });
    } else {
      expect(err).toBeInstanceOf(BridgeError);
    }
    await expectNothingFor(args.instance.uuid);
  });
});

describe('a missing image can be fetched by a hook (the later Glance download)', () => {
  it('the hook gets image_meta and the caller context, and spawn uses what it returns', async () => {
    const seen: Array<{ id: string | null; token: string | undefined }> = [];
    const repo = `ndb-fetched/${env.host}`;
    const d = new DockerComputeDriver({
      engine: env.engine,
      settings: env.settings,
      logger: silentLogger,
      fetchMissingImage: async (image, request) => {
        seen.push({ id: image.id, token: request?.authToken });
        await env.engine.tagImage(TEST_IMAGE, repo, 'v1');
        return `${repo}:v1`;
      },
    });
    const args = parseSpawnArgs(spawnPayload({ image: { name: 'not-here/at-all:1' } }));
    try {
      await d.spawn(args, undefined, { ...ctx, authToken: 'tok-123' });
      expect(seen).toEqual([{ id: args.image_meta.id, token: 'tok-123' }]);
      expect((await d.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
      await d.destroy({ instance: args.instance });
    } finally {
      await run('docker', ['image', 'rm', `${repo}:v1`]).catch(() => undefined);
    }
  });

  it('a hook that finds nothing gives ImageNotFound; a failing hook fails the spawn cleanly', async () => {
    const none = new DockerComputeDriver({ engine: env.engine, settings: env.settings, logger: silentLogger, fetchMissingImage: async () => null });
    const a = parseSpawnArgs(spawnPayload({ image: { name: 'not-here/at-all:1' } }));
    expect(isBridgeError(await none.spawn(a).catch((e: unknown) => e), 'ERR_IMAGE_NOT_FOUND')).toBe(true);
    await expectNothingFor(a.instance.uuid);
    const failing = new DockerComputeDriver({
      engine: env.engine,
      settings: env.settings,
      logger: silentLogger,
      fetchMissingImage: async () => {
        throw new BridgeError('ERR_INVALID_IMAGE', 'checksum mismatch');
      },
    });
    const b = parseSpawnArgs(spawnPayload({ image: { name: 'not-here/at-all:1' } }));
    const err = await failing.spawn(b).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_IMAGE')).toBe(true);
    await expectNothingFor(b.instance.uuid);
  });

  it('a spawn waiting for its image holds no operation slot: other instances are served meanwhile', async () => {
    let release!: () => void;
    const downloaded = new Promise<void>((r) => (release = r));
    let waiting = false;
    const repo = `ndb-fetched/${env.host}`;
    const d = new DockerComputeDriver({
      engine: env.engine,
      settings: { ...env.settings, maxConcurrentOperations: 1 },
      logger: silentLogger,
      fetchMissingImage: async () => {
        waiting = true;
        await downloaded;
        await env.engine.tagImage(TEST_IMAGE, repo, 'slow');
        return `${repo}:slow`;
      },
    });
    const slow = parseSpawnArgs(spawnPayload({ image: { name: 'not-here/at-all:1' } }));
    const other = parseSpawnArgs(spawnPayload());
    try {
      const spawning = d.spawn(slow);
      for (let i = 0; i < 100 && !waiting; i++) await new Promise((r) => setTimeout(r, 10));
      expect(waiting).toBe(true);
      // With the only slot held by the waiting spawn, this destroy would wait for the download.
      const destroyed = await Promise.race([d.destroy({ instance: other.instance }).then(() => 'done'), new Promise((r) => setTimeout(() => r('blocked'), 5000))]);
      expect(destroyed).toBe('done');
      release();
      await spawning;
      expect((await d.get_info({ instance: slow.instance })).state).toBe(POWER_STATE.RUNNING);
      await d.destroy({ instance: slow.instance });
    } finally {
      release();
      await run('docker', ['image', 'rm', `${repo}:slow`]).catch(() => undefined);
    }
  });

  it('the hook is not called when the image is present under its Glance-id tag', async () => {
    let called = false;
    const d = new DockerComputeDriver({
      engine: env.engine,
      settings: env.settings,
      logger: silentLogger,
      fetchMissingImage: async () => {
        called = true;
        return null;
      },
    });
    const args = parseSpawnArgs(spawnPayload());
    const glanceId = args.image_meta.id ?? '';
    await env.engine.tagImage(TEST_IMAGE, env.settings.glanceImageRepository, glanceId);
    try {
      await d.spawn(args);
      expect(called).toBe(false);
      await d.destroy({ instance: args.instance });
    } finally {
      await run('docker', ['image', 'rm', `${env.settings.glanceImageRepository}:${glanceId}`]).catch(() => undefined);
    }
  });

  // The image's name and docker_image_id are its owner's to choose: booting what the host has
  // under them would boot another tenant's image, or an older image of the same name.
  it('local_image_lookup=glance-id (default): an image present only by name or recorded ID is fetched, not booted', async () => {
    const info = await env.engine.inspectImage(TEST_IMAGE);
    const fetched: Array<string | null> = [];
    const repo = `ndb-fetched/${env.host}`;
    const d = new DockerComputeDriver({
      engine: env.engine,
      settings: env.settings,
      logger: silentLogger,
      fetchMissingImage: async (image) => {
        fetched.push(image.id);
        await env.engine.tagImage(TEST_IMAGE, repo, 'glance-id');
        return `${repo}:glance-id`;
      },
    });
    const byName = parseSpawnArgs(spawnPayload());
    const byId = parseSpawnArgs(spawnPayload({ image: { name: 'tenant-chosen', properties: { os_command_line: 'sleep 3600', docker_image_id: info.id } } }));
    try {
      await d.spawn(byName);
      await d.spawn(byId);
      expect(fetched).toEqual([byName.image_meta.id, byId.image_meta.id]);
      await d.destroy({ instance: byName.instance });
      await d.destroy({ instance: byId.instance });
    } finally {
      await run('docker', ['image', 'rm', `${repo}:glance-id`]).catch(() => undefined);
    }
  });

  it('local_image_lookup=any (nova-docker): the image name and recorded ID are used before the hook', async () => {
    let called = false;
    const d = new DockerComputeDriver({
      engine: env.engine,
      settings: { ...env.settings, localImageLookup: 'any' },
      logger: silentLogger,
      fetchMissingImage: async () => {
        called = true;
        return null;
      },
    });
    const args = parseSpawnArgs(spawnPayload());
    await d.spawn(args);
    expect(called).toBe(false);
    await d.destroy({ instance: args.instance });
  });
});

describe('an instance whose container vanished (docker rm, Engine data loss)', () => {
  it('power_off succeeds (already off, as libvirt treats a missing domain); get_info still says InstanceNotFound', async () => {
    const args = parseSpawnArgs(spawnPayload());
    await env.driver.spawn(args);
    await run('docker', ['rm', '-f', `nova-${args.instance.uuid}`]);
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 } as Parameters<DockerComputeDriver['power_off']>[0]);
    expect(isBridgeError(await env.driver.get_info({ instance: args.instance }).catch((e: unknown) => e), 'ERR_INSTANCE_NOT_FOUND')).toBe(true);
    await env.driver.destroy({ instance: args.instance });
    await expectNothingFor(args.instance.uuid);
  });
});

describe('idempotency by instance UUID', () => {
  it('two concurrent spawns of one instance give one running container', async () => {
    const args = parseSpawnArgs(spawnPayload());
    await Promise.all([env.driver.spawn(args), env.driver.spawn(args)]);
    const mine = (await ourContainers()).filter((n) => n === `nova-${args.instance.uuid}`);
    expect(mine).toHaveLength(1);
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
    // A third, later spawn (a retry after a caller timeout) converges too.
    await env.driver.spawn(args);
    expect((await ourContainers()).filter((n) => n === `nova-${args.instance.uuid}`)).toHaveLength(1);
    await env.driver.destroy({ instance: args.instance });
    await expectNothingFor(args.instance.uuid);
  });

  it('a retried spawn keeps the hosts file edits of the first', async () => {
    const args = parseSpawnArgs(spawnPayload());
    await env.driver.spawn(args);
    await dockerExec(`nova-${args.instance.uuid}`, ['sh', '-c', 'echo "10.9.9.9 kept" >> /etc/hosts']);
    await env.driver.spawn(args);
    expect(await dockerExec(`nova-${args.instance.uuid}`, ['cat', '/etc/hosts'])).toContain('10.9.9.9 kept');
    await env.driver.destroy({ instance: args.instance });
  });

  it('spawn with power_on=false leaves a created container (SHUTDOWN); a later spawn with power_on starts it', async () => {
    const args = parseSpawnArgs(spawnPayload({ extra: { power_on: false } }));
    await env.driver.spawn(args);
    expect((await env.docker.getContainer(`nova-${args.instance.uuid}`).inspect()).State.Status).toBe('created');
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.SHUTDOWN);
    await env.driver.spawn({ ...args, power_on: true });
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
    await env.driver.destroy({ instance: args.instance });
  });

  it('many instances spawn in parallel', async () => {
    const all = Array.from({ length: 4 }, () => parseSpawnArgs(spawnPayload()));
    await Promise.all(all.map((a) => env.driver.spawn(a)));
    for (const a of all) expect((await env.driver.get_info({ instance: a.instance })).state).toBe(POWER_STATE.RUNNING);
    await Promise.all(all.map((a) => env.driver.destroy({ instance: a.instance })));
    for (const a of all) await expectNothingFor(a.instance.uuid);
  });
});

describe('start-up reconciliation', () => {
  it('removes a container left half-made by a crash mid-spawn, reports interrupted operations, drops orphan state', async () => {
    // 1. A crash between create and start: a created container whose spawn marker is still there.
    const half = parseSpawnArgs(spawnPayload({ extra: { power_on: false } }));
    await env.driver.spawn(half);
    writeFileSync(path.join(env.stateDir, half.instance.uuid, 'operation.json'), JSON.stringify({ operation: 'spawn', startedAt: new Date().toISOString(), pid: 1 }));
    // 2. A crash during a reboot of a healthy instance: kept and reported.
    const kept = parseSpawnArgs(spawnPayload());
    await env.driver.spawn(kept);
    writeFileSync(path.join(env.stateDir, kept.instance.uuid, 'operation.json'), JSON.stringify({ operation: 'reboot', startedAt: new Date().toISOString(), pid: 1 }));
    // 3. A state directory whose container never got created.
    const orphan = '7d1f0c1e-2222-4c3b-9d44-5e6f7a8b9c0d';
    mkdirSync(path.join(env.stateDir, orphan));
    writeFileSync(path.join(env.stateDir, orphan, 'operation.json'), JSON.stringify({ operation: 'spawn' }));

    const report = await env.driver.init_host({ host: env.host });
    expect(report.reconcile.removed).toEqual([{ uuid: half.instance.uuid, status: 'created' }]);
    expect(report.reconcile.interrupted).toEqual([{ uuid: kept.instance.uuid, operation: 'reboot', status: 'running' }]);
    expect(report.reconcile.orphanDirectories).toEqual([orphan]);
    await expectNothingFor(half.instance.uuid);
    await expectNothingFor(orphan);
    expect((await env.driver.get_info({ instance: kept.instance })).state).toBe(POWER_STATE.RUNNING);
    expect(existsSync(path.join(env.stateDir, kept.instance.uuid, 'operation.json'))).toBe(false);
    // Reconciling again finds nothing more to do.
    const again = await env.driver.init_host({ host: env.host });
    expect(again.reconcile).toEqual({ removed: [], interrupted: [], orphanDirectories: [], replugged: [], plugFailures: [], missingState: [], snapshotImages: [] });
    await env.driver.destroy({ instance: kept.instance });
    expect(readdirSync(env.stateDir)).toEqual([]);
  });

  it('init_host over RPC while a spawn runs: the spawn is waited for and its state is kept', async () => {
    // The Engine is slow to create: the spawn has its state directory but no container yet
    // when reconciliation lists them.
    let releaseCreate!: () => void;
    const createHeld = new Promise<void>((r) => (releaseCreate = r));
    const engine = new Proxy(env.engine, {
      get(target, prop, receiver) {
        if (prop === 'createContainer') {
          return async (...a: Parameters<DockerodeEngine['createContainer']>) => {
            await createHeld;
            return target.createContainer(...a);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    const d = new DockerComputeDriver({ engine, settings: env.settings, logger: silentLogger });
    const args = parseSpawnArgs(spawnPayload());
    const uuid = args.instance.uuid;
    const spawning = d.spawn(args);
    const dir = path.join(env.stateDir, uuid);
    for (let i = 0; i < 100 && !existsSync(dir); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(dir), 'the spawn prepared its state directory').toBe(true);
    const reconciling = d.init_host({ host: env.host });
    await new Promise((r) => setTimeout(r, 200));
    releaseCreate();
    await spawning;
    const report = await reconciling;
    expect(report.reconcile.orphanDirectories).not.toContain(uuid);
    expect(existsSync(path.join(dir, 'hosts')), 'the running container keeps its hosts file').toBe(true);
    expect((await d.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
    await d.destroy({ instance: args.instance });
  });

  it('never touches containers of another compute host on the same Engine', async () => {
    const other = env.withSettings({ host: `${env.host}-other` });
    const args = parseSpawnArgs(spawnPayload({ extra: { power_on: false } }));
    await other.spawn(args);
    writeFileSync(path.join(env.stateDir, args.instance.uuid, 'operation.json'), JSON.stringify({ operation: 'spawn' }));
    // Our driver does not see it as ours: get_info says not found, destroy leaves it.
    expect(isBridgeError(await env.driver.get_info({ instance: args.instance }).catch((e: unknown) => e), 'ERR_INSTANCE_NOT_FOUND')).toBe(true);
    expect(await env.driver.list_instance_uuids()).not.toContain(args.instance.uuid);
    const c = await env.docker.getContainer(`nova-${args.instance.uuid}`).inspect();
    expect(c.State.Status).toBe('created');
    await other.destroy({ instance: args.instance });
    await expectNothingFor(args.instance.uuid);
  });
});

describe('privileges come only from the operator', () => {
  it('config cap_add and whitelisted flavor extra specs reach HostConfig (created, not started: this sandbox refuses privileged)', async () => {
    const d = env.withSettings({ capAdd: ['SYS_ADMIN'], allowedFlavorExtraSpecs: ['docker:cap_add', 'docker:privileged'], ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }] });
    const args = parseSpawnArgs(
      spawnPayload({ flavor: { extra_specs: { 'docker:cap_add': 'SYS_RESOURCE', 'docker:privileged': 'true' } }, extra: { power_on: false } }),
    );
    await d.spawn(args);
    const c = await env.docker.getContainer(`nova-${args.instance.uuid}`).inspect();
    expect([...(c.HostConfig.CapAdd ?? [])].sort()).toEqual(['SYS_ADMIN', 'SYS_RESOURCE']);
    expect(c.HostConfig.Privileged).toBe(true);
    expect(c.HostConfig.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    await d.destroy({ instance: args.instance });
  });

  it('image properties, metadata and non-whitelisted extra specs grant nothing', async () => {
    const args = parseSpawnArgs(
      spawnPayload({
        flavor: { extra_specs: { 'docker:cap_add': 'SYS_ADMIN', 'docker:privileged': 'true' } },
        instance: { metadata: { privileged: 'true', cap_add: 'SYS_ADMIN', 'docker:privileged': 'true' }, system_metadata: { image_docker_privileged: 'true' } },
        image: { properties: { os_command_line: 'sleep 3600', privileged: 'true', cap_add: 'SYS_ADMIN', 'docker:cap_add': 'ALL', 'docker:privileged': 'true' } },
        extra: { power_on: false },
      }),
    );
    await env.driver.spawn(args);
    const c = await env.docker.getContainer(`nova-${args.instance.uuid}`).inspect();
    expect(c.HostConfig.CapAdd ?? []).toEqual([]);
    expect(c.HostConfig.Privileged).toBe(false);
    await env.driver.destroy({ instance: args.instance });
  });

  it('SYS_ADMIN from the config lets `hostname` work inside (Sahara\'s `sudo hostname`)', async () => {
    const d = env.withSettings({ capAdd: ['SYS_ADMIN'] });
    const args = parseSpawnArgs(spawnPayload());
    await d.spawn(args);
    await dockerExec(`nova-${args.instance.uuid}`, ['hostname', 'renamed.cluster']);
    expect((await dockerExec(`nova-${args.instance.uuid}`, ['hostname'])).trim()).toBe('renamed.cluster');
    await d.destroy({ instance: args.instance });
  });

  it('ulimits from the config apply inside the running container', async () => {
    const d = env.withSettings({ ulimits: [{ name: 'nofile', soft: 1500, hard: 3000 }] });
    const args = parseSpawnArgs(spawnPayload());
    await d.spawn(args);
    // Read off the container's own process (PID 1), not the exec'd shell: Docker
    // 20.10 gives `docker exec` processes soft = hard whatever the container has.
    const limits = await dockerExec(`nova-${args.instance.uuid}`, ['grep', 'open files', '/proc/1/limits']);
    expect(limits.trim().split(/\s+/).slice(3, 5)).toEqual(['1500', '3000']);
    await d.destroy({ instance: args.instance });
  });
});

describe('admin password', () => {
  // Debian's busybox-static has no chpasswd applet, so the plain test image is an
  // image "without chpasswd". A derived image gets a chpasswd of its own (a script
  // with chpasswd's stdin contract, built on busybox mkpasswd), as a real image would.
  const CHPASSWD_IMAGE = 'nova-docker-bridge-test/busybox-chpasswd:latest';
  const script = [
    '#!/bin/sh',
    '# chpasswd(8) contract: "user:password" lines on stdin; sets the hash in /etc/passwd.',
    'rc=0',
    'while IFS= read -r line; do',
    '  user=${line%%:*}; pass=${line#*:}',
    '  grep -q "^$user:" /etc/passwd || { echo "chpasswd: unknown user $user" >&2; rc=1; continue; }',
    '  hash=$(mkpasswd -m sha512 "$pass") || exit 1',
    '  sed -i "s|^$user:[^:]*:|$user:$hash:|" /etc/passwd',
    'done',
    'exit $rc',
    '',
  ].join('\n');

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-chpasswd-'));
    const file = path.join(dir, 'chpasswd');
    writeFileSync(file, script, { mode: 0o755 });
    const cid = (await run('docker', ['create', TEST_IMAGE, 'true'])).stdout.trim();
    try {
      await run('docker', ['cp', file, `${cid}:/usr/sbin/chpasswd`]);
      await run('docker', ['commit', '--change', 'CMD ["sh"]', cid, CHPASSWD_IMAGE]);
    } finally {
      await run('docker', ['rm', '-f', cid]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await run('docker', ['image', 'rm', '-f', CHPASSWD_IMAGE]).catch(() => undefined);
  });

  it('is set with the image\'s chpasswd when inject_password is on', async () => {
    const d = env.withSettings({ injectPassword: true });
    const args = parseSpawnArgs(spawnPayload({ image: { name: CHPASSWD_IMAGE }, extra: { admin_password: 'S3cret:pw' } }));
    await d.spawn(args);
    const name = `nova-${args.instance.uuid}`;
    const line = (await dockerExec(name, ['grep', '^root:', '/etc/passwd'])).trim();
    const hash = line.split(':')[1] ?? '';
    expect(hash).toMatch(/^\$6\$/);
    // The hash verifies the password (which contains a colon): same salt, same hash.
    const salt = hash.split('$')[2] ?? '';
    expect((await dockerExec(name, ['mkpasswd', '-m', 'sha512', 'S3cret:pw', salt])).trim()).toBe(hash);
    expect(env.logs.some((l) => l.includes('admin password set') && l.includes(args.instance.uuid))).toBe(true);
    // The password never reaches the logs.
    expect(env.logs.some((l) => l.includes('S3cret'))).toBe(false);
    await d.destroy({ instance: args.instance });
  });

  it('an image without chpasswd boots anyway, unchanged, with a warning', async () => {
    const d = env.withSettings({ injectPassword: true });
    const args = parseSpawnArgs(spawnPayload({ extra: { admin_password: 'S3cret' } }));
    await d.spawn(args);
    expect(await dockerExec(`nova-${args.instance.uuid}`, ['grep', '^root:', '/etc/passwd'])).toBe('root:x:0:0:root:/root:/bin/sh\n');
    expect(env.logs.some((l) => l.includes('the image has no chpasswd') && l.includes(args.instance.uuid))).toBe(true);
    await d.destroy({ instance: args.instance });
  });

  it('is left alone when inject_password is off (Nova\'s default)', async () => {
    const args = parseSpawnArgs(spawnPayload({ image: { name: CHPASSWD_IMAGE }, extra: { admin_password: 'S3cret' } }));
    await env.driver.spawn(args);
    expect(await dockerExec(`nova-${args.instance.uuid}`, ['grep', '^root:', '/etc/passwd'])).toBe('root:x:0:0:root:/root:/bin/sh\n');
    await env.driver.destroy({ instance: args.instance });
  });
});

describe('an absent Docker Engine', () => {
  const gone = (): DockerComputeDriver =>
    new DockerComputeDriver({
      engine: new DockerodeEngine({ hostUrl: 'unix:///run/ndb-no-such-docker.sock', apiTimeoutMs: 5000 }),
      settings: env.settings,
      logger: silentLogger,
    });

  it('spawn fails as a deploy failure naming the unreachable Engine', async () => {
    const args = parseSpawnArgs(spawnPayload());
    const err = await gone().spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DEPLOY_FAILED'), String(err)).toBe(true);
    expect((err as BridgeError).details.cause_code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect((err as Error).message).toMatch(/Docker Engine unreachable \(ENOENT\)/);
    expect(existsSync(path.join(env.stateDir, args.instance.uuid))).toBe(false);
  });

  it('resource and node queries fail as VirtDriverNotReady through the endpoint', async () => {
    const ep = createComputeEndpoint(gone(), silentLogger);
    const err = await Promise.resolve(ep.methods.get_available_resource?.(ctx, { nodename: env.host }, new AbortController().signal)).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DOCKER_UNAVAILABLE')).toBe(true);
    expect(novaFailureMapper(err)).toMatchObject({ module: 'nova.exception', class: 'VirtDriverNotReady' });
  });

  it('destroy of an instance still fails clearly (it cannot know the container is gone)', async () => {
    const args = parseSpawnArgs(spawnPayload());
    const err = await gone().destroy({ instance: args.instance }).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DOCKER_UNAVAILABLE')).toBe(true);
  });
});

/** The image ID a reference names, '' when there is none. */
async function imageIdOf(reference: string): Promise<string> {
  return run('docker', ['image', 'inspect', '--format', '{{.Id}}', reference]).then((r) => r.stdout.trim(), () => '');
}

describe('an image found by the digest Glance recorded', () => {
  it('is tagged <repository>:<glance id>, so the next spawn finds it with its first lookup', async () => {
    const imageId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE])).stdout.trim();
    const glanceId = randomUUID();
    const tagged = `glance-image:${glanceId}`;
    // No usable name: only the recorded digest can find it.
    const args = parseSpawnArgs(spawnPayload({ image: { id: glanceId, name: null, properties: { docker_image_id: imageId, os_command_line: 'sleep 3600' } } }));
    try {
      await env.driver.spawn(args);
      // The tag is applied off the spawn's path.
      let found = '';
      for (let i = 0; i < 50 && found === ''; i++) {
        found = await imageIdOf(tagged);
        if (found === '') await new Promise((r) => setTimeout(r, 100));
      }
      expect(found).toBe(imageId);
    } finally {
      await env.driver.destroy({ instance: args.instance });
      await run('docker', ['rmi', tagged]).catch(() => undefined);
    }
  });

  it('a match by image name alone is not tagged (a name may later point at other content)', async () => {
    const glanceId = randomUUID();
    const args = parseSpawnArgs(spawnPayload({ image: { id: glanceId } }));
    await env.driver.spawn(args);
    await env.driver.destroy({ instance: args.instance });
    await new Promise((r) => setTimeout(r, 300));
    expect(await imageIdOf(`glance-image:${glanceId}`)).toBe('');
  });
});
