/**
 * The Glance v2 client against the real glance-api (noauth, file store).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { propertyPatch } from '../../../src/openstack/json-patch.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { uniqueName, waitFor } from '../../helpers/services.js';

let glance: GlanceClient;
const created: string[] = [];
const prefix = uniqueName('gc-test');

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  const url = await ensureGlance();
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
});

afterAll(async () => {
  for (const id of created) await glance.deleteImageIfExists(id).catch(() => undefined);
});

describe('Glance client against glance-api', () => {
  it('create → upload (chunked) → get → download → patch → delete', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const img = await glance.createImage({
      name: `${prefix}/one:1`,
      containerFormat: 'docker',
      diskFormat: 'raw',
      visibility: 'private',
      tags: ['docker', 'test'],
      properties: { docker_repo_tags: 'one:1', hypervisor_type: 'docker' },
    });
    created.push(img.id);
    expect(img.status).toBe('queued');
    expect(img.properties).toMatchObject({ docker_repo_tags: 'one:1', hypervisor_type: 'docker' });

    await glance.uploadImageData(img.id, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    const active = await glance.getImage(img.id);
    expect(active.status).toBe('active');
    expect(active.size).toBe(data.length);
    expect(active.checksum).toBe(createHash('md5').update(data).digest('hex'));
    expect(active.osHashAlgo).toBe('sha512');
    expect(active.osHashValue).toBe(createHash('sha512').update(data).digest('hex'));

    const dl = await glance.downloadImageData(img.id);
    expect(dl.size).toBe(data.length);
    expect(dl.contentMd5).toBe(active.checksum);
    // Glance writes 64 KiB at a time; the client hands its caller MiB chunks (all but the last).
    const parts: Buffer[] = [];
    for await (const c of dl.stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(parts.slice(0, -1).every((p) => p.length >= 1024 * 1024)).toBe(true);
    expect(parts.length).toBeLessThanOrEqual(4);

    const patched = await glance.updateImage(img.id, propertyPatch(active.properties, { docker_image_id: 'sha256:abc', hypervisor_type: null, docker_repo_tags: 'one:2' }));
    expect(patched.properties.docker_image_id).toBe('sha256:abc');
    expect(patched.properties.hypervisor_type).toBeUndefined();
    expect(patched.properties.docker_repo_tags).toBe('one:2');

    await glance.deleteImage(img.id);
    await expect(glance.getImage(img.id)).rejects.toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND', details: { http_status: 404 } });
    expect(await glance.deleteImageIfExists(img.id)).toBe(false);
  });

  it('uploads with Content-Length', async () => {
    const data = randomBytes(100_000);
    const img = await glance.createImage({ name: `${prefix}/cl`, containerFormat: 'docker', diskFormat: 'raw' });
    created.push(img.id);
    await glance.uploadImageData(img.id, Readable.from([data]), { length: data.length });
    expect((await glance.getImage(img.id)).size).toBe(data.length);
  });

  it('lists with filters (name with a colon, tags, custom property) across pages', async () => {
    const name = `${prefix}/listed:1`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const img = await glance.createImage({ name, containerFormat: 'docker', diskFormat: 'raw', tags: [prefix], properties: { test_run: prefix, idx: String(i) } });
      ids.push(img.id);
      created.push(img.id);
    }
    const byName = [];
    for await (const img of glance.listImages({ name, pageSize: 1 })) byName.push(img.id);
    expect(byName.sort()).toEqual([...ids].sort());
    const byProp = [];
    for await (const img of glance.listImages({ properties: { test_run: prefix, idx: '1' }, containerFormat: 'docker', tags: [prefix] })) byProp.push(img.id);
    expect(byProp).toEqual([ids[1]]);
  });

  it('translates errors with Glance JSON messages', async () => {
    const err = await glance.getImage('00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_IMAGE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toMatch(/Glance answered 404: No image found with ID 00000000-0000-0000-0000-000000000000$/);
    const bad = await glance.createImage({ name: 'x', containerFormat: 'oci', diskFormat: 'raw' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((bad as Error).message).toMatch(/'oci' is not one of/);
    expect((bad as Error).message).not.toMatch(/<br|<html/);
  });

  it('downloading an image without data is ERR_IMAGE_NOT_FOUND', async () => {
    const img = await glance.createImage({ name: `${prefix}/empty`, containerFormat: 'docker', diskFormat: 'raw' });
    created.push(img.id);
    await expect(glance.downloadImageData(img.id)).rejects.toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND', message: expect.stringMatching(/has no data/) });
  });

  it('a stalled upload is aborted by the stall timeout and Glance puts the image back to queued', async () => {
    const slow = new GlanceClient({ http: new AxiosHttpClient(), endpoint: glance.endpoint, tokens: staticToken(null), stallTimeoutMs: 1500 });
    const img = await slow.createImage({ name: `${prefix}/stall`, containerFormat: 'docker', diskFormat: 'raw' });
    created.push(img.id);
    // Sends 1 MiB, then nothing, never ending.
    const body = new Readable({ read() {} });
    body.push(randomBytes(1024 * 1024));
    const started = Date.now();
    const err = await slow.uploadImageData(img.id, body).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TIMEOUT', message: expect.stringMatching(/no data moved for 2 s \(stall timeout\)/) });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(body.destroyed).toBe(true);
    await waitFor(async () => (await glance.getImage(img.id)).status === 'queued', { what: 'the image back in queued', timeoutMs: 10_000 });
  });

  it('an upload cancelled by its signal ends with ERR_ABORTED and leaves the image queued', async () => {
    const img = await glance.createImage({ name: `${prefix}/abort`, containerFormat: 'docker', diskFormat: 'raw' });
    created.push(img.id);
    const body = new Readable({ read() {} });
    body.push(randomBytes(512 * 1024));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(glance.uploadImageData(img.id, body, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await waitFor(async () => (await glance.getImage(img.id)).status === 'queued', { what: 'the image back in queued', timeoutMs: 10_000 });
  });

  it('an unreachable Glance is ERR_GLANCE_UNAVAILABLE naming the URL', async () => {
    const dead = new GlanceClient({ http: new AxiosHttpClient(), endpoint: 'http://127.0.0.1:1', tokens: staticToken(null), stallTimeoutMs: 5000 });
    await expect(dead.getImage('x')).rejects.toMatchObject({ code: 'ERR_GLANCE_UNAVAILABLE', message: expect.stringMatching(/Glance at http:\/\/127\.0\.0\.1:1\/v2\/images\/x unreachable \(ECONNREFUSED\)/) });
  });
});
