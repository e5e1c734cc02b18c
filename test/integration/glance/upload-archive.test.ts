/**
 * uploadArchive against the real glance-api when the upload fails before it
 * sends a byte (the token cannot be had, the caller already gave up): the
 * promise settles, the source is released and the created image is deleted.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { uploadArchive } from '../../../src/images/upload-archive.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { staticToken, type TokenSource } from '../../../src/openstack/token-source.js';
import { buildDockerArchive } from '../../helpers/docker-archives.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { uniqueName } from '../../helpers/services.js';

let url: string;
let admin: GlanceClient;
const prefix = uniqueName('upload-archive');

/** Hands out no token for the `failAt`-th request (Keystone hiccuped mid-import); the clean-up's request gets one. */
function failingTokens(failAt: number): TokenSource {
  let calls = 0;
  return {
    token: () => (++calls === failAt ? Promise.reject(new BridgeError('ERR_UNAUTHORIZED', 'Keystone refused the password (test)')) : Promise.resolve(null)),
    invalidate: () => false,
  };
}

/** Big enough (16 MiB) that the stream buffers cannot take it all: someone must read it or destroy it. */
function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

async function imagesNamed(name: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const img of admin.listImages({ name })) ids.push(img.id);
  return ids;
}

beforeAll(async () => {
  url = await ensureGlance();
  admin = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
});

afterAll(async () => {
  for await (const img of admin.listImages({})) if ((img.name ?? '').startsWith(prefix)) await admin.deleteImageIfExists(img.id).catch(() => undefined);
});

describe('uploadArchive when the upload fails before it starts', () => {
  it.each<[string, (ac: AbortController) => { tokens: TokenSource; signal?: AbortSignal }]>([
    ['no token for the upload request', () => ({ tokens: failingTokens(2) })],
    [
      'the caller aborts right after the image was created',
      (ac) => {
        let calls = 0;
        return {
          tokens: {
            token: () => {
              if (++calls === 2) ac.abort(new BridgeError('ERR_ABORTED', 'interrupted (test)'));
              return Promise.resolve(null);
            },
            invalidate: () => false,
          },
          signal: ac.signal,
        };
      },
    ],
  ])('%s: settles with the cause, releases the source, deletes the image', async (_name, setup) => {
    const name = `${prefix}/${Math.random().toString(36).slice(2, 8)}`;
    const archive = await buildDockerArchive({ layerBytes: 8 * 1024 * 1024 });
    const source = Readable.from(chunksOf(archive.tar, 1024 * 1024));
    const ac = new AbortController();
    const { tokens, signal } = setup(ac);
    const glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens, stallTimeoutMs: 30_000 });
    const notes: string[] = [];
    const err = await uploadArchive({
      glance,
      source: { stream: source, length: archive.tar.length, description: 'test archive' },
      name,
      userProperties: {},
      allowUnloadable: false,
      wait: false,
      visibility: null,
      properties: {},
      note: (l) => notes.push(l),
      ...(signal === undefined ? {} : { signal }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as BridgeError).code).toMatch(/^ERR_(UNAUTHORIZED|ABORTED)$/);
    expect(source.destroyed).toBe(true);
    expect(notes.join('\n')).toMatch(/deleted the incomplete Glance image/);
    expect(await imagesNamed(name)).toEqual([]);
  });
});
