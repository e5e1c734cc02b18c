/**
 * Image transfers of the one Docker adapter (DockerodeEngine) against the real
 * dockerd: docker save as a stream, docker load with a failing source, remove,
 * and the same calls on a remote Engine over TCP + TLS.
 */
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { ArchiveInspector } from '../../../src/image-archive/archive-inspector.js';
import { findLocalImage } from '../../../src/images/local-image-store.js';
import { packEntries } from '../../helpers/docker-archives.js';
import { DOCKER_SOCKET, TEST_IMAGE, TEST_LABEL, run, uniqueName } from '../../helpers/services.js';
import { startTlsDockerProxy, type TlsDockerProxy } from '../../helpers/tls-docker-proxy.js';

const local = new DockerodeEngine({ hostUrl: `unix://${DOCKER_SOCKET}`, apiTimeoutMs: 30_000 });
const token = uniqueName('engimg');
const made: string[] = [];

async function errorOf(p: Promise<unknown>): Promise<BridgeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BridgeError)) throw new Error(`expected a BridgeError, got ${String(e)}`);
  return e;
}

/** A small unique image (docker import of a one-file rootfs); returns its reference and ID. */
async function makeImage(suffix: string): Promise<{ ref: string; id: string }> {
  const ref = `nova-docker-bridge-test/${token}-${suffix}:1`;
  const rootfs = await packEntries([{ name: 'data.txt', content: `${token} ${suffix}\n`.repeat(20_000) }]);
  await run('docker', ['import', '--change', `LABEL ${TEST_LABEL}=1`, '-', ref], { input: rootfs });
  made.push(ref);
  return { ref, id: (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim() };
}

/** Reads a save stream fully through the archive inspector. */
async function inspectSaved(stream: Readable): Promise<{ imageId: string; repoTags: readonly string[] }> {
  const inspector = new ArchiveInspector();
  await pipeline(stream, inspector);
  const summary = await inspector.summary;
  expect(summary.images).toHaveLength(1);
  return summary.images[0] as { imageId: string; repoTags: readonly string[] };
}

async function saveToBuffer(engine: DockerodeEngine, ref: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await engine.saveImage(ref)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

afterAll(async () => {
  for (const ref of made) await run('docker', ['image', 'rm', '-f', ref]).catch(() => undefined);
});

describe('DockerodeEngine image transfers (local socket)', () => {
  it('saveImage streams a docker save archive of the image; a missing image fails before any byte', async () => {
    const img = await makeImage('save');
    const archive = await inspectSaved(await local.saveImage(img.ref));
    expect(archive).toMatchObject({ imageId: img.id, repoTags: [img.ref] });
    const e = await errorOf(local.saveImage(`nova-docker-bridge-test/${token}-absent:1`));
    expect(e.code).toBe('ERR_IMAGE_NOT_FOUND');
  });

  it('loadImage takes a save stream back; removeImage removes a tag, then the image, then reports nothing to remove', async () => {
    const img = await makeImage('roundtrip');
    const tar = await saveToBuffer(local, img.ref);
    expect(await local.removeImage(img.ref, { force: false })).toBe(true);
    expect(await findLocalImage(local, img.id)).toBeNull();
    const loaded = await local.loadImage(Readable.from([tar]));
    expect(loaded.references).toEqual([img.ref]);
    expect((await local.inspectImage(img.ref)).id).toBe(img.id);
    await local.tagImage(img.ref, `nova-docker-bridge-test/${token}-extra`, 'x');
    expect(await local.removeImage(`nova-docker-bridge-test/${token}-extra:x`, { force: false })).toBe(true);
    expect((await local.inspectImage(img.ref)).id).toBe(img.id);
    expect(await local.removeImage(img.ref, { force: false })).toBe(true);
    expect(await local.removeImage(img.ref, { force: false })).toBe(false);
  });

  it('removeImage of an image a container uses is a conflict without force', async () => {
    const img = await makeImage('inuse');
    const name = uniqueName('ndb-engimg');
    await run('docker', ['create', '--name', name, '--label', `${TEST_LABEL}=1`, img.ref, '/bin/true']);
    try {
      expect((await errorOf(local.removeImage(img.id, { force: false }))).code).toBe('ERR_CONFLICT');
    } finally {
      await run('docker', ['rm', '-f', name]);
    }
  });

  it('a load whose source is destroyed mid-way fails promptly and leaves nothing', async () => {
    const img = await makeImage('cut');
    const tar = await saveToBuffer(local, img.ref);
    await local.removeImage(img.ref, { force: false });
    const source = new PassThrough();
    source.write(tar.subarray(0, Math.floor(tar.length / 2)));
    setTimeout(() => source.destroy(), 200);
    const t0 = Date.now();
    const e = await errorOf(local.loadImage(source));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(e.code).toBe('ERR_ABORTED');
    expect(e.message).toMatch(/closed before its end/);
    expect(await findLocalImage(local, img.id)).toBeNull();
  });

  it('a load whose source errors reports that error (ERR_INVALID_IMAGE for a non-project error); garbage is refused by the Engine', async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(4096, 0x41));
    setTimeout(() => source.destroy(new Error('disk on fire')), 100);
    const e = await errorOf(local.loadImage(source));
    expect(e.code).toBe('ERR_INVALID_IMAGE');
    expect(e.message).toMatch(/disk on fire/);
    const bad = await errorOf(local.loadImage(Readable.from([Buffer.from('not a tar at all\n'.repeat(100))])));
    expect(['ERR_DOCKER', 'ERR_INVALID_ARGUMENT']).toContain(bad.code);
  });

  it('a cancelled save ends the stream with ERR_ABORTED', async () => {
    const ac = new AbortController();
    const stream = await local.saveImage(TEST_IMAGE, ac.signal);
    ac.abort();
    const e = await errorOf(pipeline(stream, new PassThrough().resume()));
    expect(['ERR_ABORTED', 'ERR_TIMEOUT']).toContain(e.code);
  });
});

describe('DockerodeEngine image transfers on a remote Engine (TCP + TLS)', () => {
  let proxy: TlsDockerProxy;
  let remote: DockerodeEngine;

  beforeAll(async () => {
    proxy = await startTlsDockerProxy();
    remote = new DockerodeEngine({ hostUrl: `tcp://127.0.0.1:${proxy.port}`, apiTimeoutMs: 30_000, ...proxy.files });
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('save, remove and load go over TLS like every other call', async () => {
    const img = await makeImage('remote');
    const tar = await saveToBuffer(remote, img.ref);
    expect(await remote.removeImage(img.ref, { force: false })).toBe(true);
    expect(await findLocalImage(local, img.id)).toBeNull();
    expect((await remote.loadImage(Readable.from([tar]))).references).toEqual([img.ref]);
    expect((await local.inspectImage(img.ref)).id).toBe(img.id);
  });
});
