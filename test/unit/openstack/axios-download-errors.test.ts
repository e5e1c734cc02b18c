/**
 * A download cut off by the server mid-body reaches the caller as the
 * project's error (ERR_GLANCE… with the operation in the message), not as
 * Node's raw socket error. A loopback HTTP server stands in for Glance.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(16 * 1024 * 1024) });
    res.write(Buffer.alloc(3 * 1024 * 1024, 1), () => res.socket?.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/images/x/file`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('AxiosHttpClient download cut off mid-body', () => {
  it('fails the body stream with a translated error', async () => {
    const res = await new AxiosHttpClient().request({ method: 'GET', url, response: 'stream', operation: 'download data of image x', service: 'glance', stallTimeoutMs: 10_000 });
    let got = 0;
    const err = await (async () => {
      for await (const c of res.stream as AsyncIterable<Buffer>) got += c.length;
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(got).toBeLessThan(16 * 1024 * 1024);
    expect(isBridgeError(err)).toBe(true);
    expect(err).toMatchObject({ code: expect.stringMatching(/^ERR_GLANCE/), message: expect.stringMatching(/^download data of image x: /) });
  });
});
