/**
 * The DockerEngine adapter against the real dockerd: API version pinning,
 * error translation of real answers, archive and exec plumbing, images, and
 * a remote Engine over TCP + TLS with client certificates (a local TLS
 * terminator in front of the real socket, with certificates made by openssl).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerCreateSpec } from '../../../src/docker/docker-engine.js';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { BridgeError, isBridgeError } from '../../../src/errors/bridge-error.js';
import { packTar } from '../../../src/util/tar-archive.js';
import { DOCKER_SOCKET, TEST_IMAGE, TEST_LABEL, run, uniqueName } from '../../helpers/services.js';
import { startTlsDockerProxy, type TlsDockerProxy } from '../../helpers/tls-docker-proxy.js';

const engine = new DockerodeEngine({ hostUrl: `unix://${DOCKER_SOCKET}`, apiTimeoutMs: 30_000 });
const label = uniqueName('adapter');

function spec(over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec {
  return {
    name: uniqueName('ndb-adapter'),
    image: TEST_IMAGE,
    cmd: ['sleep', '3600'],
    env: [],
    labels: { [TEST_LABEL]: label },
    hostname: null,
    domainname: null,
    resources: {},
    networkMode: 'none',
    dns: [],
    capAdd: [],
    privileged: false,
    publishAllPorts: false,
    ports: [],
    mounts: [],
    ulimits: [],
    init: true,
    ...over,
  };
}

async function errorOf(p: Promise<unknown>): Promise<BridgeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BridgeError)) throw new Error(`expected a BridgeError, got ${String(e)}`);
  return e;
}

afterAll(async () => {
  for (const c of await engine.listContainers({ [TEST_LABEL]: label })) await engine.removeContainer(c.id, { force: true }).catch(() => undefined);
});

describe('DockerodeEngine on the local socket', () => {
  it('connects, checks and pins the API version', async () => {
    const v = await engine.connect();
    expect(v.apiVersion).toMatch(/^1\.\d+$/);
    expect(await engine.connect()).toBe(v);
    const info = await engine.info();
    expect(info.ncpu).toBeGreaterThan(0);
    expect(info.dockerRootDir).toMatch(/^\//);
    await engine.ping();
  });

  it('translates real Engine answers by status', async () => {
    expect((await errorOf(engine.inspectContainer(`nova-${randomUUID()}`))).code).toBe('ERR_INSTANCE_NOT_FOUND');
    expect((await errorOf(engine.inspectImage('ndb-no-such/image:1'))).code).toBe('ERR_IMAGE_NOT_FOUND');
    expect((await errorOf(engine.createContainer(spec({ image: 'ndb-no-such/image:1' })))).code).toBe('ERR_IMAGE_NOT_FOUND');
    const s = spec();
    const id = await engine.createContainer(s);
    expect((await errorOf(engine.createContainer(s))).code).toBe('ERR_CONFLICT'); // name taken
    expect((await errorOf(engine.pauseContainer(id))).code).toBe('ERR_CONFLICT'); // not running
    expect((await errorOf(engine.killContainer(id))).code).toBe('ERR_CONFLICT');
    // 304 "already started/stopped" is success for the idempotent calls.
    await engine.stopContainer(id, 0);
    await engine.startContainer(id);
    await engine.startContainer(id);
    expect((await errorOf(engine.createContainer(spec({ resources: { memoryBytes: 1024 } })))).code).toBe('ERR_INVALID_ARGUMENT'); // below Docker's minimum
    await engine.removeContainer(id, { force: true });
    expect((await errorOf(engine.removeContainer(id, { force: true }))).code).toBe('ERR_INSTANCE_NOT_FOUND');
  });

  it('refuses IDs and references that could rewrite the request path', async () => {
    expect((await errorOf(engine.inspectContainer('../images/json'))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await errorOf(engine.inspectImage('busybox?x=1'))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('archives: put into a created container, read back; a missing path is null, a missing container not found', async () => {
    const id = await engine.createContainer(spec());
    await engine.putArchive(id, '/', await packTar([{ path: 'opt/x/file.txt', type: 'file', content: Buffer.from('payload'), mode: 0o640 }]));
    expect(await engine.readFile(id, '/opt/x/file.txt', 100)).toEqual(Buffer.from('payload'));
    expect(await engine.readFile(id, '/opt/x/file.txt', 3)).toEqual(Buffer.from('pay'));
    expect(await engine.readFile(id, '/no/such/file', 100)).toBeNull();
    expect(await engine.readFile(id, '/opt/x', 100)).toBeNull(); // a directory
    await engine.removeContainer(id, { force: true });
    expect((await errorOf(engine.readFile(id, '/etc/passwd', 100))).code).toBe('ERR_INSTANCE_NOT_FOUND');
  });

  it('logs: demultiplexed, bounded by lines and bytes, never parsed as JSON', async () => {
    const id = await engine.createContainer(spec({ cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; done; echo "{\\"a\\":1}"; echo oops >&2; sleep 3600'] }));
    await engine.startContainer(id);
    let out = '';
    for (let i = 0; i < 50 && !out.includes('oops'); i += 1) {
      out = (await engine.containerLogs(id, { tailLines: 100, maxBytes: 10_000 })).toString();
      if (!out.includes('oops')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toContain('line 1\n');
    expect(out).toContain('{"a":1}\n');
    expect(out).toContain('oops\n');
    const tail = (await engine.containerLogs(id, { tailLines: 2, maxBytes: 10_000 })).toString();
    expect(tail.split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect((await engine.containerLogs(id, { tailLines: 100, maxBytes: 5 })).length).toBe(5);
    await engine.removeContainer(id, { force: true });
  });

  it('exec: stdin reaches the command, output and exit code come back; missing commands are 126/127', async () => {
    const id = await engine.createContainer(spec());
    await engine.startContainer(id);
    const r = await engine.execRun(id, { cmd: ['sh', '-c', 'cat; echo err >&2; exit 7'], stdin: Buffer.from('hello\n') });
    expect(r.exitCode).toBe(7);
    expect(r.output.toString()).toContain('hello\n');
    expect(r.output.toString()).toContain('err\n');
    const none = await engine.execRun(id, { cmd: ['/no/such/cmd'] });
    expect([126, 127]).toContain(none.exitCode);
    const big = await engine.execRun(id, { cmd: ['sh', '-c', 'yes | head -c 100000'], maxOutputBytes: 1000 });
    expect(big.output.length).toBe(1000);
    expect(big.exitCode).toBe(0);
    await engine.pauseContainer(id);
    expect((await errorOf(engine.execRun(id, { cmd: ['true'] }))).code).toBe('ERR_CONFLICT');
    await engine.removeContainer(id, { force: true });
  });

  it('update changes limits of a running container', async () => {
    const id = await engine.createContainer(spec({ resources: { nanoCpus: 5e8, memoryBytes: 64 << 20, memorySwapBytes: 64 << 20 } }));
    await engine.startContainer(id);
    await engine.updateContainer(id, { nanoCpus: 1e9, memoryBytes: 96 << 20, memorySwapBytes: 96 << 20 });
    const c = await engine.inspectContainer(id);
    expect(c.resources).toMatchObject({ nanoCpus: 1e9, memoryBytes: 96 << 20, memorySwapBytes: 96 << 20 });
    await engine.removeContainer(id, { force: true });
  });

  it('images: tag, list by reference, load a docker save stream', async () => {
    const repo = `ndb-adapter-test/${uniqueName('img')}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-save-'));
    try {
      await engine.tagImage(TEST_IMAGE, repo, 'v1');
      const img = await engine.inspectImage(`${repo}:v1`);
      expect(img.repoTags).toContain(`${repo}:v1`);
      expect((await engine.listImages({ reference: `${repo}:*` })).map((i) => i.repoTags).flat()).toEqual([`${repo}:v1`]);
      const file = path.join(dir, 'img.tar');
      await run('docker', ['save', '-o', file, `${repo}:v1`]);
      await run('docker', ['image', 'rm', `${repo}:v1`]); // only untags: TEST_IMAGE keeps the layers
      expect((await errorOf(engine.inspectImage(`${repo}:v1`))).code).toBe('ERR_IMAGE_NOT_FOUND');
      const loaded = await engine.loadImage(createReadStream(file));
      expect(loaded.references).toEqual([`${repo}:v1`]);
      expect((await engine.inspectImage(`${repo}:v1`)).id).toBe(img.id);
      const bad = await errorOf(engine.loadImage(createReadStream(__filename)));
      expect(['ERR_DOCKER', 'ERR_INVALID_ARGUMENT']).toContain(bad.code);
    } finally {
      await run('docker', ['image', 'rm', `${repo}:v1`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an absent Engine is ERR_DOCKER_UNAVAILABLE on every call, and the adapter recovers when it appears', async () => {
    // A socket path where "the Engine" appears later: a relay to the real socket.
    const sockDir = mkdtempSync(path.join(os.tmpdir(), 'ndb-sock-'));
    const sock = path.join(sockDir, 'docker.sock');
    const later = new DockerodeEngine({ hostUrl: `unix://${sock}`, apiTimeoutMs: 2000 });
    const e = await errorOf(later.connect());
    expect(e.code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(e.message).toContain('ENOENT');
    expect((await errorOf(later.info())).code).toBe('ERR_DOCKER_UNAVAILABLE');
    // A load that fails before reading releases its archive stream: a pipeline feeding it must not wait forever.
    const archive = new PassThrough();
    expect((await errorOf(later.loadImage(archive))).code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(archive.destroyed).toBe(true);
    const relay = net.createServer((c) => {
      const up = net.connect(DOCKER_SOCKET);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(sock, resolve));
    try {
      expect((await later.connect()).apiVersion).toMatch(/^1\.\d+$/);
      expect((await later.info()).ncpu).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      rmSync(sockDir, { recursive: true, force: true });
    }
    // And down again: clear errors, no hang.
    expect((await errorOf(later.info())).code).toBe('ERR_DOCKER_UNAVAILABLE');
  });

  it('a deadline that runs out is ERR_TIMEOUT; a cancelled call is ERR_ABORTED', async () => {
    const id = await engine.createContainer(spec({ init: false }));
    await engine.startContainer(id);
    // `sleep` as PID 1 ignores SIGTERM: stop waits its full grace, beyond our deadline.
    const stop = await errorOf(engine.stopContainer(id, 10, AbortSignal.timeout(300)));
    expect(stop.code).toBe('ERR_TIMEOUT');
    const ac = new AbortController();
    const p = engine.stopContainer(id, 10, ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect((await errorOf(p)).code).toBe('ERR_ABORTED');
    await engine.removeContainer(id, { force: true });
  });
});

describe('DockerodeEngine over TCP with TLS client certificates', () => {
  let proxy: TlsDockerProxy;
  let port: number;

  beforeAll(async () => {
    proxy = await startTlsDockerProxy();
    port = proxy.port;
  });

  afterAll(async () => {
    await proxy.close();
  });

  const files = (): { caFile: string; certFile: string; keyFile: string } => ({ ...proxy.files });

  it('tcp:// with ca/cert/key speaks TLS and drives containers', async () => {
    const remote = new DockerodeEngine({ hostUrl: `tcp://127.0.0.1:${port}`, apiTimeoutMs: 30_000, ...files() });
    expect(remote.describe).toBe(`https://127.0.0.1:${port}`);
    const v = await remote.connect();
    expect(v.apiVersion).toMatch(/^1\.\d+$/);
    const id = await remote.createContainer(spec());
    await remote.startContainer(id);
    expect((await remote.inspectContainer(id)).state.status).toBe('running');
    await remote.removeContainer(id, { force: true });
  });

  it('https:// without a client certificate is refused by the Engine side: unavailable, not a crash', async () => {
    const noCert = new DockerodeEngine({ hostUrl: `https://127.0.0.1:${port}`, apiTimeoutMs: 5000, caFile: files().caFile });
    const e = await errorOf(noCert.connect());
    expect(e.code).toBe('ERR_DOCKER_UNAVAILABLE');
  });

  it('a server certificate from another CA is refused, naming the TLS options', async () => {
    const wrongCa = new DockerodeEngine({ hostUrl: `tcp://127.0.0.1:${port}`, apiTimeoutMs: 5000, caFile: files().certFile, certFile: files().certFile, keyFile: files().keyFile });
    const e = await errorOf(wrongCa.connect());
    expect(e.code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(e.message).toMatch(/TLS connection to the Docker Engine failed .*ca_file/);
  });

  it('unreadable certificate files stop construction with the option named', () => {
    let err: unknown;
    try {
      new DockerodeEngine({ hostUrl: `tcp://127.0.0.1:${port}`, apiTimeoutMs: 5000, caFile: '/no/such/ca.pem' });
    } catch (e) {
      err = e;
    }
    expect(isBridgeError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/\[docker\] ca_file = \/no\/such\/ca\.pem: cannot read/);
  });
});
