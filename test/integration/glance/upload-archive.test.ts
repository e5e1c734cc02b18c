/**
 * uploadArchive against the real glance-api when the upload fails before it
 * sends a byte (the token cannot be had, the caller already gave up): the
 * promise settles, the source is released and the created image is deleted;
 * and when the create's answer is lost after Glance made the record.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
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

/** An import expected to fail: what it threw and the notes it printed. */
async function failedImport(glance: GlanceClient, stream: Readable, length: number, name: string, signal?: AbortSignal): Promise<{ err: unknown; notes: string[] }> {
  const notes: string[] = [];
  const err = await uploadArchive({
    glance,
    source: { stream, length, description: 'test archive' },
    name,
    userProperties: {},
    allowUnloadable: false,
    wait: false,
    visibility: null,
    properties: {},
    note: (l) => notes.push(l),
    ...(signal === undefined ? {} : { signal }),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, notes };
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
    const { err, notes } = await failedImport(glance, source, archive.tar.length, name, signal);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as BridgeError).code).toMatch(/^ERR_(UNAUTHORIZED|ABORTED)$/);
    expect(source.destroyed).toBe(true);
    expect(notes.join('\n')).toMatch(/deleted the incomplete Glance image/);
    expect(await imagesNamed(name)).toEqual([]);
  });
});

/**
 * A TCP proxy to Glance that lets the first `POST /v2/images` through and then
 * cuts the connection instead of passing Glance's answer back: the record
 * exists, the client never learns so.
 */
async function answerLosingProxy(target: URL): Promise<{ url: string; close: () => Promise<void>; dropped: () => number }> {
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let dropNext = false;
    client.on('data', (b: Buffer) => {
      if (dropped === 0 && b.toString('latin1', 0, 16) === 'POST /v2/images ') dropNext = true;
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (dropNext) {
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(b);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = async (): Promise<void> => {
    // Keep-alive connections would hold close() for the client's idle timeout.
    for (const sk of sockets) sk.destroy();
    await new Promise((r) => server.close(r));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close, dropped: () => dropped };
}

describe('uploadArchive when the create request loses its answer', () => {
  it('deletes the record Glance made under the ID the client chose; nothing stays queued', async () => {
    const proxy = await answerLosingProxy(new URL(url));
    try {
      const name = `${prefix}/lost-answer-${Math.random().toString(36).slice(2, 8)}`;
      const archive = await buildDockerArchive();
      const source = Readable.from([archive.tar]);
      const glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: proxy.url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
      const { err, notes } = await failedImport(glance, source, archive.tar.length, name);
      expect(proxy.dropped()).toBe(1);
      expect(err).toBeInstanceOf(BridgeError);
      expect((err as BridgeError).code).toBe('ERR_GLANCE_UNAVAILABLE');
      expect(notes.join('\n')).toMatch(/deleted the incomplete Glance image/);
      expect(await imagesNamed(name)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
