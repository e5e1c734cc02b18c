/**
 * Images through the bus: the real `nova-docker-bridge serve` process with
 * [glance] api_servers pointing at the test Glance, driven by our RpcClient
 * over the real broker, on the real dockerd.
 *
 * - glance-docker import → the image removed locally → spawn → running
 *   (downloaded from Glance into docker load by the service);
 * - three concurrent spawns of one missing image download it once (the
 *   service's log and Glance's own access log agree);
 * - a stored image corrupted behind Glance's back → spawn fails with
 *   ImageUnacceptable, and no container, state or image stays;
 * - snapshot → a docker-format Glance image that boots again.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_MANAGED_BY, LABEL_SNAPSHOT_IMAGE } from '../../../src/compute/translate/labels.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { RemoteRpcError } from '../../../src/rpc/remote-failure.js';
import { ensureGlance, GLANCE_STATE_DIR, GLANCE_STORE_DIR } from '../../helpers/glance-server.js';
import { REPO_ROOT, TEST_LABEL, run } from '../../helpers/services.js';
import {
  cleanupIdentity,
  containersFor,
  dockerAt,
  instanceRef,
  newIdentity,
  novaInstance,
  ServiceProcess,
  spawnArgs,
  stateDirs,
  tsCaller,
  TEST_IMAGE,
  uniqueName,
  waitFor,
  type ServiceIdentity,
  type TsCaller,
} from '../compute-bus/service-env.js';

const docker = dockerAt();
const token = uniqueName('imgbus');
/** [compute] glance_image_repository of this file's service: what it tags downloads as. */
const REPOSITORY = `nova-docker-bridge-test/${token}`;
const GLANCE_LOG = path.join(GLANCE_STATE_DIR, 'logs', 'glance-api.log');
let url: string;
let glance: GlanceClient;
let id: ServiceIdentity;
let svc: ServiceProcess;
let rpc: TsCaller;
let workDir: string;
const glanceIds: string[] = [];
const localRefs: string[] = [];

/** A Docker image of our own (TEST_IMAGE + a marker file), saved to a file; returns its reference, ID and archive path. */
async function makeImage(suffix: string): Promise<{ ref: string; imageId: string; file: string }> {
  const ref = `nova-docker-bridge-test/${token}-${suffix}:1`;
  const name = uniqueName('ndb-imgbus-build');
  await run('docker', ['run', '--name', name, '--label', `${TEST_LABEL}=1`, TEST_IMAGE, 'sh', '-c', `echo ${token}-${suffix} > /marker`], { timeoutMs: 60_000 });
  try {
    await run('docker', ['commit', '--change', 'CMD ["sleep", "3600"]', '--change', `LABEL ${TEST_LABEL}=1`, name, ref]);
  } finally {
    await run('docker', ['rm', '-f', name]);
  }
  localRefs.push(ref);
  const imageId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
  const file = path.join(workDir, `${suffix}.tar`);
  await run('docker', ['save', '-o', file, ref], { timeoutMs: 120_000 });
  return { ref, imageId, file };
}

/** `glance-docker import FILE` (the admin's way in); returns the Glance image ID. */
async function importToGlance(file: string, name: string): Promise<string> {
  const r = await run('node', [`${REPO_ROOT}bin/glance-docker.js`, 'import', file, '--name', name, '--os-image-url', url, '--format', 'json', '--quiet'], { timeoutMs: 180_000 });
  const out = JSON.parse(r.stdout) as { image: { id: string; status: string } };
  expect(out.image.status).toBe('active');
  glanceIds.push(out.image.id);
  return out.image.id;
}

async function hasImage(ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return false;
        throw e;
      },
    );
}

/** image_meta as Nova sends it for a Glance image (the shim's projection). */
function glanceImageMeta(glanceId: string, name: string): Record<string, unknown> {
  return { id: glanceId, name, container_format: 'docker', disk_format: 'raw', properties: { os_command_line: 'sleep 3600' } };
}

async function info(inst: ReturnType<typeof novaInstance>): Promise<number> {
  return ((await rpc.call('get_info', { instance: instanceRef(inst) })) as { state: number }).state;
}

async function exec(inst: ReturnType<typeof novaInstance>, cmd: string[]): Promise<string> {
  return (await run('docker', ['exec', `nova-${inst.uuid}`, ...cmd], { timeoutMs: 30_000 })).stdout;
}

/** GETs of the image's data that reached Glance (its access log; a line is written when a request ends). */
function glanceDownloads(glanceId: string): number {
  return readFileSync(GLANCE_LOG, 'utf8').split('\n').filter((l) => l.includes(`"GET /v2/images/${glanceId}/file HTTP/1.1" 200`)).length;
}

/** Offset of the data of the first archive entry matching `match`. */
async function entryDataOffset(file: string, match: (name: string) => boolean): Promise<number> {
  const ex = tar.extract();
  let found = -1;
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      // tar-stream reports the header's offset; the data follows the 512-byte header (and a pax header when there is one).
      if (found < 0 && match(h.name) && (h.size ?? 0) > 4096) found = (h as unknown as { byteOffset: number }).byteOffset;
      s.on('end', () => next());
      s.resume();
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  createReadStream(file).pipe(ex);
  await done;
  if (found < 0) throw new Error(`no matching entry in ${file}`);
  return found;
}

beforeAll(async () => {
  url = await ensureGlance();
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
  workDir = mkdtempSync(path.join(os.tmpdir(), 'ndb-imgbus-'));
  id = newIdentity('ndb-imgbus', { compute: { glance_image_repository: REPOSITORY, local_image_lookup: 'glance-id' } });
  // service-env writes the sections it knows; Glance is ours to add.
  appendFileSync(id.configFile, `\n[glance]\napi_servers = ${url}\nstall_timeout = 60\n`);
  [svc, rpc] = await Promise.all([ServiceProcess.start(id), tsCaller(id)]);
}, 120_000);

afterAll(async () => {
  await rpc?.close();
  const exit = await svc?.stop();
  if (id) await cleanupIdentity(id, docker);
  for (const g of glanceIds) {
    await glance.deleteImageIfExists(g).catch(() => undefined);
    await docker.getImage(`${REPOSITORY}:${g}`).remove().catch(() => undefined);
  }
  for (const ref of localRefs) await docker.getImage(ref).remove().catch(() => undefined);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  expect(exit).toEqual({ code: 0, signal: null });
});

describe('images from Glance at spawn, through the bus', () => {
  let first: { ref: string; imageId: string; glanceId: string };
  const inst = novaInstance();

  it('glance-docker import → removed locally → spawn downloads it and the container runs', async () => {
    const img = await makeImage('boot');
    const glanceId = await importToGlance(img.file, `${token}-boot`);
    first = { ...img, glanceId };
    await run('docker', ['rmi', img.ref]);
    expect(await hasImage(img.imageId)).toBe(false);

    expect(await rpc.call('spawn', spawnArgs(inst, glanceImageMeta(glanceId, img.ref)), 120_000)).toBeNull();
    expect(await info(inst)).toBe(POWER_STATE.RUNNING);
    expect((await exec(inst, ['cat', '/marker'])).trim()).toBe(`${token}-boot`);
    // Identified by the archive's manifest and tagged by Glance ID, so the next spawn finds it locally.
    expect((await docker.getImage(`${REPOSITORY}:${glanceId}`).inspect()).Id).toBe(img.imageId);
    expect(svc.logged('image downloaded, verified and tagged').filter((l) => l.image_id === glanceId)).toHaveLength(1);
    await waitFor(() => glanceDownloads(glanceId) === 1, { what: 'Glance to log one download', timeoutMs: 5000 });
  });

  it('three concurrent spawns of one missing image download it once', async () => {
    const img = await makeImage('concurrent');
    const glanceId = await importToGlance(img.file, `${token}-concurrent`);
    await run('docker', ['rmi', img.ref]);
    const insts = [novaInstance(), novaInstance(), novaInstance()];
    const results = await Promise.all(insts.map((i) => rpc.call('spawn', spawnArgs(i, glanceImageMeta(glanceId, img.ref)), 120_000)));
    expect(results).toEqual([null, null, null]);
    for (const i of insts) expect(await info(i)).toBe(POWER_STATE.RUNNING);
    const started = svc.logged('downloading image from Glance into docker load').filter((l) => l.image_id === glanceId);
    expect(started).toHaveLength(1);
    // Glance's own record: one GET of the data (give its log a moment to be written).
    await new Promise((r) => setTimeout(r, 500));
    expect(glanceDownloads(glanceId)).toBe(1);
    for (const i of insts) await rpc.call('destroy', { instance: instanceRef(i) });
  });

  it('a stored image corrupted behind Glance\'s back: ImageUnacceptable, nothing left (no container, state or image)', async () => {
    const img = await makeImage('corrupt');
    const glanceId = await importToGlance(img.file, `${token}-corrupt`);
    await run('docker', ['rmi', img.ref]);
    // Overwrite bytes inside the image's own (top) layer in Glance's file store.
    const at = await entryDataOffset(img.file, (n) => n.endsWith('layer.tar'));
    const fd = openSync(path.join(GLANCE_STORE_DIR, glanceId), 'r+');
    writeSync(fd, Buffer.from('CORRUPTED-BY-THE-TEST'), 0, 21, at + 2048);
    closeSync(fd);

    const victim = novaInstance();
    const err = await rpc.call('spawn', spawnArgs(victim, glanceImageMeta(glanceId, img.ref)), 120_000).then(
      (v) => new Error(`spawn succeeded with ${JSON.stringify(v)}`),
      (e: unknown) => e,
    );
    if (!(err instanceof RemoteRpcError)) throw err;
    expect(`${err.remoteModule}.${err.remoteClass}`).toBe('nova.exception.ImageUnacceptable');
    expect(err.remoteMessage).toMatch(new RegExp(`Glance image ${glanceId}`));
    expect(await containersFor(docker, id.host, victim.uuid)).toEqual([]);
    expect(stateDirs(id)).not.toContain(victim.uuid);
    expect(await hasImage(img.imageId)).toBe(false);
    expect(await hasImage(img.ref)).toBe(false);
    expect(await hasImage(`${REPOSITORY}:${glanceId}`)).toBe(false);
  });

  it('snapshot → a docker-format Glance image that boots again, and the temporary commit is gone', async () => {
    expect(first).toBeDefined();
    await exec(inst, ['sh', '-c', `echo changed-${token} > /changed`]);
    // What Nova's API does before casting snapshot_instance: a queued image inheriting the base image's formats.
    const record = await glance.createImage({
      name: `${token}-snap`,
      containerFormat: 'docker',
      diskFormat: 'raw',
      properties: { instance_uuid: inst.uuid, image_type: 'snapshot', os_command_line: 'sleep 3600', docker_repo_tags: first.ref },
    });
    glanceIds.push(record.id);

    expect(await rpc.call('snapshot', { instance: instanceRef(inst), image_id: record.id }, 180_000)).toBeNull();

    const snap = await glance.getImage(record.id);
    expect(snap).toMatchObject({ status: 'active', containerFormat: 'docker', diskFormat: 'raw', name: `${token}-snap` });
    expect(snap.properties).toMatchObject({ image_location: 'snapshot', owner_id: inst.project_id, hypervisor_type: 'docker' });
    expect(snap.properties.docker_repo_tags).toBeUndefined();
    const committed = String(snap.properties.docker_image_id);
    expect(await hasImage(committed)).toBe(false);
    const leftovers = await docker.listImages({ filters: JSON.stringify({ label: [LABEL_SNAPSHOT_IMAGE, `${LABEL_MANAGED_BY}=${id.host}`], dangling: ['true'] }) });
    expect(leftovers).toEqual([]);
    expect(await info(inst)).toBe(POWER_STATE.RUNNING);

    const clone = novaInstance();
    expect(await rpc.call('spawn', spawnArgs(clone, glanceImageMeta(record.id, `${token}-snap`)), 120_000)).toBeNull();
    expect(await info(clone)).toBe(POWER_STATE.RUNNING);
    expect((await exec(clone, ['cat', '/marker'])).trim()).toBe(`${token}-boot`);
    expect((await exec(clone, ['cat', '/changed'])).trim()).toBe(`changed-${token}`);
    expect((await docker.getContainer(`nova-${clone.uuid}`).inspect()).Image).toBe(committed);
    await rpc.call('destroy', { instance: instanceRef(clone) });
    await rpc.call('destroy', { instance: instanceRef(inst) });
  });

  it('snapshot into an image that is not queued is InstanceInvalidState and commits nothing', async () => {
    const target = novaInstance();
    await rpc.call('spawn', spawnArgs(target, glanceImageMeta(first.glanceId, first.ref)), 120_000);
    const commitsBefore = svc.logged('container committed for a snapshot').length;
    const err = await rpc.call('snapshot', { instance: instanceRef(target), image_id: first.glanceId }).then(
      () => new Error('snapshot into an active image succeeded'),
      (e: unknown) => e,
    );
    if (!(err instanceof RemoteRpcError)) throw err;
    expect(`${err.remoteModule}.${err.remoteClass}`).toBe('nova.exception.InstanceInvalidState');
    expect(svc.logged('container committed for a snapshot').length).toBe(commitsBefore);
    const missing = await rpc.call('snapshot', { instance: instanceRef(target), image_id: randomUUID() }).then(
      () => new Error('snapshot into a missing image succeeded'),
      (e: unknown) => e,
    );
    if (!(missing instanceof RemoteRpcError)) throw missing;
    expect(`${missing.remoteModule}.${missing.remoteClass}`).toBe('nova.exception.ImageNotFound');
    await rpc.call('destroy', { instance: instanceRef(target) });
  });
});
