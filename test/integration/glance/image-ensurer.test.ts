/**
 * Images at spawn against the real Docker daemon and the real glance-api:
 * missing image → streamed from Glance into docker load, verified, tagged
 * <repository>:<glance id>; concurrent ensures download once; a corrupted
 * stored image is refused and leaves no image in Docker.
 */
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import type { HttpClient, HttpRequest } from '../../../src/openstack/http-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { findLocalImage, type LocalImageStore } from '../../../src/images/local-image-store.js';
import { GlanceAccess } from '../../../src/images/glance-access.js';
import { ImageEnsurer } from '../../../src/images/image-ensurer.js';
import { packEntries } from '../../helpers/docker-archives.js';
import { ensureGlance, GLANCE_STORE_DIR } from '../../helpers/glance-server.js';
import { DOCKER_SOCKET, TEST_LABEL, run, uniqueName, waitFor } from '../../helpers/services.js';

const REPOSITORY = 'nova-docker-bridge-test/glance';
const token = uniqueName('ensure');
let glance: GlanceClient;
let url: string;
const store = new DockerodeEngine({ hostUrl: `unix://${DOCKER_SOCKET}`, apiTimeoutMs: 60_000 });
const glanceIds: string[] = [];
const dockerRefs: string[] = [];

/** Counts image-data downloads that really went over the wire. */
class CountingHttp implements HttpClient {
  downloads = 0;
  private readonly inner = new AxiosHttpClient();
  request(req: HttpRequest) {
    if (req.method === 'GET' && /\/v2\/images\/[^/]+\/file$/.test(req.url)) this.downloads++;
    return this.inner.request(req);
  }
}

function ensurer(http: HttpClient, imageStore: LocalImageStore = store): ImageEnsurer {
  const access = new GlanceAccess({ http, apiServers: [url], interfaces: ['public'], regionName: null, stallTimeoutMs: 30_000, service: null });
  return new ImageEnsurer({ store: imageStore, glanceFor: (req, s) => access.client(req, s), repository: REPOSITORY, allowedContainerFormats: ['docker'] });
}

/** A unique small Docker image (docker import of a one-file rootfs), saved, then removed locally. */
async function makeArchive(suffix: string, extraBytes = 0): Promise<{ tar: Buffer; repoTag: string; imageId: string }> {
  const repoTag = `nova-docker-bridge-test/ensure-${token}-${suffix}:1`;
  const rootfs = await packEntries([{ name: 'hello.txt', content: `${token} ${suffix}\n`.repeat(5000) }, ...(extraBytes > 0 ? [{ name: 'big.bin', content: randomBytes(extraBytes) }] : [])]);
  await run('docker', ['import', '--change', `LABEL ${TEST_LABEL}=1`, '-', repoTag], { input: rootfs });
  const imageId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', repoTag])).stdout.trim();
  const saved = await run('bash', ['-c', `docker save ${repoTag} | base64 -w0`], { timeoutMs: 60_000 });
  await run('docker', ['rmi', repoTag]);
  dockerRefs.push(repoTag);
  return { tar: Buffer.from(saved.stdout.trim(), 'base64'), repoTag, imageId };
}

async function uploadToGlance(data: Buffer, name: string, props: Record<string, string> = {}, containerFormat = 'docker'): Promise<string> {
  const img = await glance.createImage({ name, containerFormat, diskFormat: 'raw', properties: props });
  glanceIds.push(img.id);
  await glance.uploadImageData(img.id, Readable.from([data]), { length: data.length });
  return img.id;
}

async function dockerHas(ref: string): Promise<boolean> {
  return (await findLocalImage(store, ref)) !== null;
}

/** Offset of an entry's data inside a tar buffer. */
async function entryOffset(archive: Buffer, match: (name: string) => boolean): Promise<number> {
  const ex = tar.extract();
  let found = -1;
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      if (found < 0 && match(h.name)) found = (h as unknown as { byteOffset: number }).byteOffset;
      s.on('end', () => next());
      s.resume();
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  ex.end(archive);
  await done;
  if (found < 0) throw new Error('entry not found in the archive');
  return found;
}

beforeAll(async () => {
  url = await ensureGlance();
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
});

afterAll(async () => {
  for (const id of glanceIds) {
    await glance.deleteImageIfExists(id).catch(() => undefined);
    await store.removeImage(`${REPOSITORY}:${id}`, { force: false }).catch(() => undefined);
  }
  for (const ref of dockerRefs) await store.removeImage(ref, { force: false }).catch(() => undefined);
});

/** A refused download left neither the image, its repo tag nor the Glance-ID tag behind. */
async function expectNothingInDocker(a: { repoTag: string; imageId: string }, glanceId: string): Promise<void> {
  expect(await dockerHas(a.imageId)).toBe(false);
  expect(await dockerHas(a.repoTag)).toBe(false);
  expect(await dockerHas(`${REPOSITORY}:${glanceId}`)).toBe(false);
}

describe('ImageEnsurer (Glance → docker load)', () => {
  it('downloads a missing image, identifies it by its manifest, tags it, and finds it the next time', async () => {
    const a = await makeArchive('basic');
    // A Glance name unrelated to the repo tag: the manifest, not the name, identifies the image.
    const id = await uploadToGlance(a.tar, `${token}-some-unrelated-name`);
    expect(await dockerHas(a.imageId)).toBe(false);
    const http = new CountingHttp();
    const e = ensurer(http);
    const first = await e.ensureImage({ id }, { authToken: null });
    expect(first).toEqual({ reference: `${REPOSITORY}:${id}`, imageId: a.imageId, downloaded: true });
    expect((await findLocalImage(store, `${REPOSITORY}:${id}`))?.id).toBe(a.imageId);
    expect(await dockerHas(a.repoTag)).toBe(true);
    const second = await e.ensureImage({ id }, { authToken: null });
    expect(second).toEqual({ reference: `${REPOSITORY}:${id}`, imageId: a.imageId, downloaded: false });
    expect(http.downloads).toBe(1);
  });

  it('concurrent ensures of one missing image download it once', async () => {
    const a = await makeArchive('concurrent');
    const id = await uploadToGlance(a.tar, `${token}-concurrent`);
    const http = new CountingHttp();
    const e = ensurer(http);
    const results = await Promise.all([1, 2, 3, 4].map(() => e.ensureImage({ id }, { authToken: null })));
    expect(http.downloads).toBe(1);
    expect(new Set(results.map((r) => r.imageId))).toEqual(new Set([a.imageId]));
    expect(results.every((r) => r.downloaded)).toBe(true);
    expect(e.activeDownloads).toBe(0);
  });

  it('one waiter giving up does not cancel the download for the others', async () => {
    const a = await makeArchive('waiters');
    const id = await uploadToGlance(a.tar, `${token}-waiters`);
    const e = ensurer(new CountingHttp());
    const ac = new AbortController();
    const quitter = e.ensureImage({ id }, { authToken: null }, ac.signal);
    const stayer = e.ensureImage({ id }, { authToken: null });
    ac.abort();
    await expect(quitter).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(stayer).resolves.toMatchObject({ imageId: a.imageId, downloaded: true });
  });

  it('cancelled once dockerd has every byte: the load is let finish and then undone, nothing appears later', { timeout: 60_000 }, async () => {
    // Big enough that dockerd is still registering the layer when the request is cancelled.
    const a = await makeArchive('cancel-after-sent', 96 * 1024 * 1024);
    const id = await uploadToGlance(a.tar, `${token}-cancel-after-sent`);
    const ac = new AbortController();
    // The real Engine; the spawn is cancelled the moment docker load has read the last byte.
    const cancelling: LocalImageStore = {
      saveImage: (...x) => store.saveImage(...x),
      inspectImage: (...x) => store.inspectImage(...x),
      listImages: (...x) => store.listImages(...x),
      tagImage: (...x) => store.tagImage(...x),
      removeImage: (...x) => store.removeImage(...x),
      loadImage: (tarStream, signal) => {
        // dockerd has the whole archive a moment after the stream ended, and then takes a while to register a big layer.
        tarStream.once('end', () => setTimeout(() => ac.abort(new Error('spawn cancelled (test)')), 300));
        return store.loadImage(tarStream, signal);
      },
    };
    const e = ensurer(new CountingHttp(), cancelling);
    const outcome = await e.ensureImage({ id }, { authToken: null }, ac.signal).catch((err: unknown) => err);
    // A machine fast enough to load it all within the 300 ms: then it completed, which is consistent too.
    if (!(outcome instanceof Error)) {
      expect(await dockerHas(`${REPOSITORY}:${id}`)).toBe(true);
      return;
    }
    expect(outcome).toMatchObject({ code: 'ERR_ABORTED' });
    await waitFor(() => e.activeDownloads === 0, { what: 'the cancelled download to finish its clean-up', timeoutMs: 30_000 });
    // dockerd registers what it received even after the request was cancelled: give it time to show up.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await dockerHas(a.imageId)).toBe(false);
    expect(await dockerHas(a.repoTag)).toBe(false);
    expect(await dockerHas(`${REPOSITORY}:${id}`)).toBe(false);
  });

  it('corrupted layer data in the store: refused, nothing left in Docker', async () => {
    const a = await makeArchive('corrupt-layer');
    const id = await uploadToGlance(a.tar, `${token}-corrupt-layer`);
    const at = await entryOffset(a.tar, (n) => n.endsWith('layer.tar'));
    const fd = openSync(join(GLANCE_STORE_DIR, id), 'r+');
    writeSync(fd, Buffer.from('CORRUPTED-BYTES'), 0, 15, at + 5000);
    closeSync(fd);
    const err = await ensurer(new CountingHttp()).ensureImage({ id }, { authToken: null }).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    expect((err as Error).message).toMatch(new RegExp(`Glance image ${id}`));
    await expectNothingInDocker(a, id);
  });

  it('a layer corrupted before the upload (Glance\'s hashes match): docker load refuses it, nothing left in Docker', async () => {
    const a = await makeArchive('corrupt-before-upload');
    const tar = Buffer.from(a.tar);
    const at = await entryOffset(tar, (n) => n.endsWith('layer.tar'));
    tar.write('CORRUPTED-BYTES', at + 5000, 'latin1');
    // Stored as sent: the stream's hash matches, only the layer's diff_id can tell.
    const id = await uploadToGlance(tar, `${token}-corrupt-before-upload`);
    const err = await ensurer(new CountingHttp()).ensureImage({ id }, { authToken: null }).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    expect((err as Error).message).toMatch(new RegExp(`Glance image ${id}`));
    await expectNothingInDocker(a, id);
  });

  it('corruption docker load does not notice (a file it ignores): loaded, then removed on the hash mismatch', async () => {
    const a = await makeArchive('corrupt-ignored');
    const id = await uploadToGlance(a.tar, `${token}-corrupt-ignored`);
    const at = await entryOffset(a.tar, (n) => n.endsWith('/VERSION'));
    const fd = openSync(join(GLANCE_STORE_DIR, id), 'r+');
    writeSync(fd, Buffer.from('9.9'), 0, 3, at);
    closeSync(fd);
    const err = await ensurer(new CountingHttp()).ensureImage({ id }, { authToken: null }).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    expect((err as Error).message).toMatch(/does not match its recorded hashes.*os_hash_value.*undid what docker load had done/);
    await expectNothingInDocker(a, id);
  });

  it('two Glance images of one docker image at once, one corrupted: the failed one does not take the good one\'s image away', async () => {
    const a = await makeArchive('twins', 4 * 1024 * 1024);
    const good = await uploadToGlance(a.tar, `${token}-twin-good`);
    const bad = await uploadToGlance(a.tar, `${token}-twin-bad`);
    // Corruption docker load does not notice: the bad one loads, then fails on Glance's hash.
    const at = await entryOffset(a.tar, (n) => n.endsWith('/VERSION'));
    const fd = openSync(join(GLANCE_STORE_DIR, bad), 'r+');
    writeSync(fd, Buffer.from('9.9'), 0, 3, at);
    closeSync(fd);
    const shared = ensurer(new CountingHttp());
    const [g, b] = await Promise.allSettled([shared.ensureImage({ id: good }, { authToken: null }), shared.ensureImage({ id: bad }, { authToken: null })]);
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'ERR_INVALID_IMAGE' } });
    expect(g).toMatchObject({ status: 'fulfilled', value: { imageId: a.imageId, downloaded: true } });
    expect((await findLocalImage(store, `${REPOSITORY}:${good}`))?.id).toBe(a.imageId);
    expect(await dockerHas(`${REPOSITORY}:${bad}`)).toBe(false);
    await run('docker', ['rmi', `${REPOSITORY}:${good}`]).catch(() => undefined);
    await run('docker', ['rmi', a.repoTag]).catch(() => undefined);
    await run('docker', ['rmi', a.imageId]).catch(() => undefined);
  });

  it('a failed download keeps what the host had: an image already there stays, a tag docker load moved goes back', async () => {
    const base = `nova-docker-bridge-test/ensure-${token}`;
    const importImage = async (ref: string, text: string): Promise<string> => {
      await run('docker', ['import', '--change', `LABEL ${TEST_LABEL}=1`, '-', ref], { input: await packEntries([{ name: 'f.txt', content: text }]) });
      dockerRefs.push(ref);
      return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    };
    const moved = `${base}-moved:1`;
    const kept = `${base}-kept:1`;
    const p = await importImage(`${base}-p:1`, `${token} p`);
    const q = await importImage(moved, `${token} q`);
    const r = await importImage(kept, `${token} r`);
    // Two images: refused after docker load has taken them (a Glance image holds one).
    const saved = await run('bash', ['-c', `docker save ${moved} ${kept} | base64 -w0`], { timeoutMs: 60_000 });
    await run('docker', ['tag', p, moved]);
    await run('docker', ['rmi', q]);
    // Uploaded as is: no docker_image_id property to go by.
    const id = await uploadToGlance(Buffer.from(saved.stdout.trim(), 'base64'), `${token}-two-images`);
    await expect(ensurer(new CountingHttp()).ensureImage({ id }, { authToken: null })).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: expect.stringMatching(/holds 2 images/) });
    expect((await findLocalImage(store, moved))?.id).toBe(p);
    expect((await findLocalImage(store, kept))?.id).toBe(r);
    expect(await dockerHas(q)).toBe(false);
  });

  it('a hostile archive in Glance is refused before docker keeps anything', async () => {
    const evil = await packEntries([{ name: '../../etc/cron.d/x', content: '* * * * * root true\n' }, { name: 'manifest.json', content: '[]' }]);
    const id = await uploadToGlance(evil, `${token}-hostile`);
    await expect(ensurer(new CountingHttp()).ensureImage({ id }, { authToken: null })).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: expect.stringMatching(/climbs out of the archive/) });
    expect(await dockerHas(`${REPOSITORY}:${id}`)).toBe(false);
  });

  it('refuses other container formats, images without data, and unknown images', async () => {
    const a = await makeArchive('bare');
    const bare = await uploadToGlance(a.tar, `${token}-bare`, {}, 'bare');
    const e = ensurer(new CountingHttp());
    await expect(e.ensureImage({ id: bare }, {})).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: expect.stringMatching(/container_format bare/) });
    const empty = await glance.createImage({ name: `${token}-empty`, containerFormat: 'docker', diskFormat: 'raw' });
    glanceIds.push(empty.id);
    await expect(e.ensureImage({ id: empty.id }, {})).rejects.toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND', message: expect.stringMatching(/is queued, not active/) });
    await expect(e.ensureImage({ id: '00000000-0000-0000-0000-000000000000' }, {})).rejects.toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND' });
    await expect(e.ensureImage({ id: null }, {})).rejects.toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND' });
  });
});
