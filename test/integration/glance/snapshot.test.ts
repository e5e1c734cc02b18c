/**
 * snapshot against the real Docker daemon and the real glance-api (driver
 * level): docker commit of a running instance → docker save streamed into
 * the queued Glance image "Nova" created → verified, described, booted again;
 * the temporary committed image never stays; failures leave nothing in
 * Docker and leave the Glance record to Nova.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerComputeDriver } from '../../../src/compute/docker-compute-driver.js';
import { parseInstanceArgs, parseSnapshotArgs, parseSpawnArgs } from '../../../src/compute/payloads.js';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_INSTANCE_NAME, LABEL_INSTANCE_UUID, LABEL_MANAGED_BY, LABEL_SNAPSHOT_IMAGE } from '../../../src/compute/translate/labels.js';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { GlanceAccess } from '../../../src/images/glance-access.js';
import { ImageEnsurer } from '../../../src/images/image-ensurer.js';
import { findLocalImage } from '../../../src/images/local-image-store.js';
import { SnapshotUploader } from '../../../src/images/snapshot-uploader.js';
import { createLogger } from '../../../src/log/logger.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { verifyImage } from '../../../glance/verify/verify-image.js';
import { createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from '../docker/driver-test-env.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { TEST_IMAGE } from '../../helpers/services.js';

const REPOSITORY = 'nova-docker-bridge-test/snapshot';
let env: DriverEnv;
let driver: DockerComputeDriver;
let glance: GlanceClient;
const glanceIds: string[] = [];
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** A queued image the way Nova's API creates one for createImage (formats and properties inherited from the base image). */
async function novaSnapshotRecord(instanceUuid: string, over: { containerFormat?: string; diskFormat?: string } = {}): Promise<string> {
  const img = await glance.createImage({
    name: `snap-${instanceUuid.slice(0, 8)}`,
    containerFormat: over.containerFormat ?? 'docker',
    diskFormat: over.diskFormat ?? 'raw',
    properties: {
      instance_uuid: instanceUuid,
      image_type: 'snapshot',
      user_id: 'u1',
      base_image_ref: randomUUID(),
      // Inherited from the base image's properties: wrong for the commit, must be replaced/removed.
      docker_repo_tags: TEST_IMAGE,
      docker_image_id: `sha256:${'0'.repeat(64)}`,
      os_command_line: 'sleep 3600',
    },
  });
  glanceIds.push(img.id);
  return img.id;
}

/** Committed images of this file's snapshots still in Docker (any Glance image ID). */
async function leftovers(): Promise<Docker.ImageInfo[]> {
  return docker.listImages({ filters: JSON.stringify({ label: [LABEL_SNAPSHOT_IMAGE, `${LABEL_MANAGED_BY}=${env.host}`], dangling: ['true'] }) });
}

async function errorOf(p: Promise<unknown>): Promise<BridgeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BridgeError)) throw new Error(`expected a BridgeError, got ${String(e)}`);
  return e;
}

beforeAll(async () => {
  const url = await ensureGlance();
  env = createDriverEnv({ glanceImageRepository: REPOSITORY });
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
  const access = new GlanceAccess({ http: new AxiosHttpClient(), apiServers: [url], interfaces: ['public'], regionName: null, stallTimeoutMs: 30_000, service: null });
  const glanceFor = (req: Parameters<GlanceAccess['client']>[0], s?: AbortSignal): Promise<GlanceClient> => access.client(req, s);
  const uploader = new SnapshotUploader({ store: env.engine, glanceFor });
  const ensurer = new ImageEnsurer({ store: env.engine, glanceFor, repository: REPOSITORY, allowedContainerFormats: ['docker'] });
  driver = new DockerComputeDriver({
    engine: env.engine,
    settings: env.settings,
    logger: createLogger({ level: 'debug', format: 'json', write: (l) => void env.logs.push(l) }),
    uploadSnapshot: async (job, _req, signal) => {
      await uploader.upload({ glanceImageId: job.glanceImageId, projectId: job.instance.project_id, commit: job.commit }, { authToken: null }, signal);
    },
    fetchMissingImage: async (image, _req, signal) => (await ensurer.ensureImage(image, { authToken: null }, signal)).reference,
  });
});

afterAll(async () => {
  await env?.cleanup();
  for (const id of glanceIds) {
    await glance.deleteImageIfExists(id).catch(() => undefined);
    await env.engine.removeImage(`${REPOSITORY}:${id}`, { force: false }).catch(() => undefined);
  }
  for (const img of await leftovers().catch(() => [])) await docker.getImage(img.Id).remove().catch(() => undefined);
});

describe('snapshot (docker commit → docker save → the queued Glance image)', () => {
  const source = parseSpawnArgs(spawnPayload());
  let snapshotId: string;

  it('fills the queued image: active, docker/raw, hashes verified, described, nothing left in Docker', async () => {
    // The source's image is on the host as a download would have left it (its Glance-id tag).
    const sourceGlanceId = source.image_meta.id ?? '';
    await env.engine.tagImage(TEST_IMAGE, REPOSITORY, sourceGlanceId);
    glanceIds.push(sourceGlanceId);
    await driver.spawn(source);
    const name = `nova-${source.instance.uuid}`;
    await dockerExec(name, ['sh', '-c', 'echo state-from-the-source > /snapshot-marker']);
    // Nova's API created it with the base image's formats when they were not docker/raw: the upload fixes them.
    snapshotId = await novaSnapshotRecord(source.instance.uuid, { containerFormat: 'bare', diskFormat: 'qcow2' });

    const before = commits();
    await driver.snapshot(parseSnapshotArgs({ instance: { uuid: source.instance.uuid, project_id: 'p1' }, image_id: snapshotId }));
    expect(commits()).toBe(before + 1);

    const img = await glance.getImage(snapshotId);
    expect(img).toMatchObject({ status: 'active', containerFormat: 'docker', diskFormat: 'raw', name: `snap-${source.instance.uuid.slice(0, 8)}` });
    expect(img.properties).toMatchObject({
      image_location: 'snapshot',
      image_state: 'available',
      owner_id: 'p1',
      hypervisor_type: 'docker',
      vm_mode: 'exe',
      instance_uuid: source.instance.uuid,
      os_command_line: 'sleep 3600',
      architecture: 'x86_64',
    });
    expect(img.properties.docker_repo_tags).toBeUndefined();
    expect(String(img.properties.docker_image_id)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.properties.docker_image_id).not.toBe(`sha256:${'0'.repeat(64)}`);
    // An independent check of what Glance holds: download, hash, parse, compare with the recorded properties.
    const report = await verifyImage(glance, img);
    expect(report.problems).toEqual([]);
    // The committed image was only the upload's source: gone (other test files add and remove images meanwhile, so only ours are counted).
    expect(await findLocalImage(env.engine, String(img.properties.docker_image_id))).toBeNull();
    expect(await leftovers()).toEqual([]);
    // The instance keeps running (commit paused it only for the commit).
    expect((await driver.get_info(parseInstanceArgs({ instance: { uuid: source.instance.uuid } }))).state).toBe(POWER_STATE.RUNNING);
  });

  it('the snapshot boots again (downloaded from Glance) with the source\'s filesystem and its own labels', async () => {
    const img = await glance.getImage(snapshotId);
    const uuid = randomUUID();
    const again = parseSpawnArgs(
      spawnPayload({ uuid, instance: { name: null }, image: { id: snapshotId, name: img.name, properties: {} } }),
    );
    await driver.spawn(again);
    const name = `nova-${uuid}`;
    expect((await dockerExec(name, ['cat', '/snapshot-marker'])).trim()).toBe('state-from-the-source');
    const c = await docker.getContainer(name).inspect();
    expect(c.Image).toBe(img.properties.docker_image_id);
    // The commit carried the source container's labels; the new container's own win, and unknown ones are blanked.
    expect(c.Config.Labels[LABEL_INSTANCE_UUID]).toBe(uuid);
    expect(c.Config.Labels[LABEL_INSTANCE_NAME]).toBe('');
    expect(c.Config.Labels[LABEL_SNAPSHOT_IMAGE]).toBe('');
    expect(await driver.list_instances()).toContain(name);
    await driver.destroy(parseInstanceArgs({ instance: { uuid } }));
  });

  const commits = (): number => env.logs.filter((l) => l.includes('"container committed for a snapshot"')).length;

  it('an image that is not queued is refused before anything is committed', async () => {
    const before = commits();
    const err = await errorOf(driver.snapshot(parseSnapshotArgs({ instance: { uuid: source.instance.uuid }, image_id: snapshotId })));
    expect(err.code).toBe('ERR_CONFLICT');
    expect(err.message).toMatch(/is active: a snapshot fills the queued image/);
    expect(err.details).toMatchObject({ instance_uuid: source.instance.uuid, image_id: snapshotId });
    expect(commits()).toBe(before);
    expect(await leftovers()).toEqual([]);
  });

  it('an unknown Glance image is ImageNotFound; an unknown instance InstanceNotFound; nothing stays in Docker', async () => {
    const before = commits();
    const missing = randomUUID();
    expect((await errorOf(driver.snapshot(parseSnapshotArgs({ instance: { uuid: source.instance.uuid }, image_id: missing })))).code).toBe('ERR_IMAGE_NOT_FOUND');
    const record = await novaSnapshotRecord(source.instance.uuid);
    expect((await errorOf(driver.snapshot(parseSnapshotArgs({ instance: { uuid: randomUUID() }, image_id: record })))).code).toBe('ERR_INSTANCE_NOT_FOUND');
    expect((await glance.getImage(record)).status).toBe('queued');
    expect(commits()).toBe(before);
    expect(await leftovers()).toEqual([]);
  });

  it('a snapshot cancelled mid-upload removes the committed image and leaves the record queued for Nova to delete', async () => {
    // Enough data that the upload is still running when the call is cancelled.
    await dockerExec(`nova-${source.instance.uuid}`, ['sh', '-c', 'head -c 67108864 /dev/urandom > /big']);
    const record = await novaSnapshotRecord(source.instance.uuid);
    const ac = new AbortController();
    const p = driver.snapshot(parseSnapshotArgs({ instance: { uuid: source.instance.uuid }, image_id: record }), ac.signal);
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000 && (await glance.getImage(record)).status !== 'saving') await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const err = await errorOf(p);
    expect(['ERR_ABORTED', 'ERR_TIMEOUT']).toContain(err.code);
    expect(await leftovers()).toEqual([]);
    // Glance puts an interrupted upload back to queued (Nova's @delete_image_on_error then deletes it).
    await expect.poll(async () => (await glance.getImage(record)).status, { timeout: 10_000 }).toBe('queued');
  });

  it('start-up reconciliation removes a temporary image a crash left (untagged, our labels), never a tagged one', async () => {
    const c = await docker.getContainer(`nova-${source.instance.uuid}`).inspect();
    const crashed = await env.engine.commitContainer(c.Id, { labels: { [LABEL_SNAPSHOT_IMAGE]: randomUUID(), [LABEL_MANAGED_BY]: env.host }, pause: true });
    const kept = await env.engine.commitContainer(c.Id, { labels: { [LABEL_SNAPSHOT_IMAGE]: randomUUID(), [LABEL_MANAGED_BY]: env.host }, pause: true });
    await env.engine.tagImage(kept, REPOSITORY, 'kept');
    try {
      const report = await driver.init_host({ host: env.host });
      expect(report.reconcile.snapshotImages).toEqual([crashed]);
      expect(await findLocalImage(env.engine, crashed)).toBeNull();
      expect((await findLocalImage(env.engine, `${REPOSITORY}:kept`))?.id).toBe(kept);
    } finally {
      await env.engine.removeImage(`${REPOSITORY}:kept`, { force: false }).catch(() => undefined);
    }
    await driver.destroy(parseInstanceArgs({ instance: { uuid: source.instance.uuid } }));
  });
});
