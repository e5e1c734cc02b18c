/**
 * glance-docker against the real glance-api and the real Docker daemon:
 * import from a file, stdin and Docker; list/show/verify; every hostile or
 * broken input fails with a clear message, exit code ≠ 0 and nothing left in
 * Glance; an interrupted upload leaves nothing; a corrupted stored image fails
 * verify.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../../glance/cli/glance-docker.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import type { GlanceImage } from '../../../src/openstack/glance-image.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { buildDockerArchive, packEntries } from '../../helpers/docker-archives.js';
import { ensureGlance, GLANCE_STORE_DIR } from '../../helpers/glance-server.js';
import { REPO_ROOT, TEST_IMAGE, run, uniqueName, waitFor } from '../../helpers/services.js';

let url: string;
let glance: GlanceClient;
let dir: string;
let busyboxTar: string;
const token = uniqueName('gdcli');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs glance-docker in this process (fast) against the test Glance. */
async function cli(argv: string[], stdin: Buffer | Readable | null = null): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const input = stdin === null ? Object.assign(Readable.from([]), { isTTY: true }) : stdin instanceof Readable ? stdin : Readable.from([stdin]);
  const io: CliIo = {
    stdin: input,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { OS_IMAGE_URL: url, HOME: dir },
    cwd: dir,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function imagesNamed(fragment: string): Promise<GlanceImage[]> {
  const out: GlanceImage[] = [];
  for await (const img of glance.listImages({})) if ((img.name ?? '').includes(fragment)) out.push(img);
  return out;
}

beforeAll(async () => {
  url = await ensureGlance();
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), 'glance-docker-cli-'));
  busyboxTar = join(dir, 'busybox.tar');
  await run('docker', ['save', '-o', busyboxTar, TEST_IMAGE]);
});

afterAll(async () => {
  for (const img of await imagesNamed(token)) await glance.deleteImageIfExists(img.id);
  rmSync(dir, { recursive: true, force: true });
});

describe('glance-docker import / list / show / verify', () => {
  it('imports a docker save file, records the docker properties, and list/show/verify agree', async () => {
    const name = `${token}/file`;
    const r = await cli(['import', busyboxTar, '--name', name, '--format', 'json', '--sahara-username', 'ubuntu', '--sahara-tag', 'vanilla', '--sahara-tag', '2.7.1', '--property', 'site=lab', '--visibility', 'private', '--wait']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { image: { id: string; status: string; size: number; properties: Record<string, string>; visibility: string }; docker: { image_id: string } };
    const inspect = JSON.parse((await run('docker', ['image', 'inspect', TEST_IMAGE])).stdout) as { Id: string }[];
    expect(out.docker.image_id).toBe(inspect[0]?.Id);
    expect(out.image.status).toBe('active');
    expect(out.image.visibility).toBe('private');
    expect(out.image.size).toBe(readFileSync(busyboxTar).length);
    expect(out.image.properties).toMatchObject({
      docker_image_id: inspect[0]?.Id,
      docker_repo_tags: TEST_IMAGE,
      architecture: 'x86_64',
      os_type: 'linux',
      hypervisor_type: 'docker',
      vm_mode: 'exe',
      _sahara_username: 'ubuntu',
      _sahara_tag_vanilla: 'True',
      '_sahara_tag_2.7.1': 'True',
      site: 'lab',
    });

    const list = await cli(['list', '--format', 'json']);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((i) => i.id)).toContain(out.image.id);
    const table = await cli(['list']);
    expect(table.stdout).toMatch(new RegExp(`${out.image.id}\\s+${name.replace(/[/]/g, '\\/')}\\s+active`));

    const show = await cli(['show', name]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/docker_image_id\s+sha256:[0-9a-f]{64}/);

    const verify = await cli(['verify', out.image.id]);
    expect(verify.stdout).toMatch(/^OK /);
    expect(verify.code).toBe(0);
  });

  it('takes the name from the archive when --name is not given, and reads gzip from stdin', async () => {
    const archive = await buildDockerArchive({ repoTags: [`${token}/stdin:1`], layout: 'docker+oci' });
    const r = await cli(['import', '-', '--format', 'json', '--quiet'], gzipSync(archive.tar));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { image: { name: string; properties: Record<string, string> }; docker: { gzipped: boolean; layout: string } };
    expect(out.image.name).toBe(`${token}/stdin:1`);
    expect(out.docker).toMatchObject({ gzipped: true, layout: 'docker+oci' });
    expect(out.image.properties.docker_image_id).toBe(archive.imageId);
  });

  it('imports straight from the local Docker daemon (bin, end to end)', async () => {
    const name = `${token}/from-docker`;
    const r = await run('node', [`${REPO_ROOT}bin/glance-docker.js`, 'import', '--from-docker', TEST_IMAGE, '--name', name, '--os-image-url', url], { timeoutMs: 120_000 });
    expect(r.stdout).toMatch(new RegExp(`Imported ${name} as Glance image [0-9a-f-]{36} \\(active\\)`));
    // Size unknown up front (a stream): a plain progress line with bytes and rate, no bar.
    expect(r.stderr).toMatch(/^upload 2\.0 MiB [0-9.]+ (KiB|MiB)\/s$/m);
    const [img] = await imagesNamed(name);
    expect(img?.properties.docker_repo_tags).toBe(TEST_IMAGE);
  });

  it('a missing Docker image fails before anything is created in Glance', async () => {
    const r = await cli(['import', '--from-docker', `${token}/does-not-exist:1`, '--name', `${token}/missing-docker`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/save image .*does-not-exist:1: Docker Engine answered 404/);
    expect(await imagesNamed(`${token}/missing-docker`)).toEqual([]);
  });

  it('usage mistakes exit 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['show'])).code).toBe(2);
    expect((await cli(['import', '--visibility', 'secret', 'x.tar'])).code).toBe(2);
    expect((await cli(['import', '--property', 'name=x', 'x.tar'])).stderr).toMatch(/Glance attribute.*use --name/);
    const tty = await cli(['import']);
    expect(tty.code).toBe(2);
    expect(tty.stderr).toMatch(/no input/);
  });

  it('an unreachable Glance is a clear failure', async () => {
    const r = await cli(['list', '--os-image-url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Glance at http:\/\/127\.0\.0\.1:1\/v2\/images unreachable \(ECONNREFUSED\)/);
  });
});

describe('glance-docker import: hostile and broken input leaves nothing in Glance', () => {
  const cases: [string, () => Promise<Buffer>, RegExp][] = [
    ['not a tar', async () => Buffer.from('<html>this is not an archive</html>\n'.repeat(40)), /not a valid tar archive/],
    ['empty', async () => Buffer.alloc(0), /input is empty/],
    ['truncated', async () => (await buildDockerArchive({ layerBytes: 200_000 })).tar.subarray(0, 150_000), /truncated/],
    ['manifest pointing at a missing layer', async () => (await buildDockerArchive({ dropLayer: 0 })).tar, /layer ".*" is missing from the archive/],
    ['path traversal', async () => (await buildDockerArchive({ extra: [{ name: '../../../../tmp/evil', content: 'x' }] })).tar, /climbs out of the archive/],
    ['absolute path', async () => (await buildDockerArchive({ extra: [{ name: '/etc/evil', content: 'x' }] })).tar, /absolute path/],
    ['symlink escaping', async () => (await buildDockerArchive({ extra: [{ name: 'evil', type: 'symlink', linkname: '/etc/shadow' }] })).tar, /absolute path/],
    ['oversized header', async () => packEntries([{ name: 'x', content: 'y', pax: { comment: 'z'.repeat(5 * 1024 * 1024) } }]), /Header exceeds max size/],
    ['link target of megabytes', async () => packEntries([{ name: 'l', type: 'symlink', linkname: 'a/'.repeat(1024 * 1024) }]), /link target longer than 4096 characters/],
    ['zero-block bomb (gzip)', async () => gzipSync(Buffer.concat([(await buildDockerArchive()).tar, Buffer.alloc(24 * 1024 * 1024)])), /empty tar blocks after its last entry/],
    ['corrupted layer (--verify-layers)', async () => (await buildDockerArchive({ corruptLayer: 1, layerBytes: 2 * 1024 * 1024 })).tar, /corrupted archive/],
    ['OCI-only (not loadable by Docker 20.10)', async () => (await buildDockerArchive({ layout: 'oci' })).tar, /cannot be loaded by the compute hosts' Docker 20\.10/],
  ];

  it.each(cases)('%s (file, Content-Length)', async (label, make, re) => {
    const file = join(dir, `${token}-${label.replace(/\W+/g, '-')}.tar`);
    writeFileSync(file, await make());
    const r = await cli(['import', file, '--quiet', ...(label.includes('--verify-layers') ? ['--verify-layers'] : [])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(re);
    // No --name: the provisional name names the file; the image must be gone.
    expect(await imagesNamed(`${token}-${label.replace(/\W+/g, '-')}`)).toEqual([]);
  });

  it.each(cases.filter(([l]) => ['not a tar', 'truncated', 'path traversal', 'manifest pointing at a missing layer'].includes(l)))('%s (stdin, chunked)', async (label, make, re) => {
    const name = `${token}/stdin-${label.replace(/\W+/g, '-')}`;
    const r = await cli(['import', '-', '--name', name], await make());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).toMatch(/deleted the incomplete Glance image/);
    expect(await imagesNamed(name)).toEqual([]);
  });

  it('empty stdin fails before anything is created in Glance', async () => {
    const name = `${token}/stdin-empty`;
    // A byte stream, as process.stdin is (Readable.from would be an object stream).
    const r = await cli(['import', '-', '--name', name], Readable.from([], { objectMode: false }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input is empty/);
    expect(r.stderr).not.toMatch(/created Glance image/);
    expect(await imagesNamed(name)).toEqual([]);
  });

  it('a producer slower to start than --stall-timeout (docker save of a big image) is waited for, not called a stalled upload', async () => {
    const name = `${token}/stdin-slow-start`;
    const data = readFileSync(busyboxTar);
    async function* slowStart(): AsyncGenerator<Buffer> {
      await new Promise((r) => setTimeout(r, 2500));
      yield data;
    }
    const r = await cli(['import', '-', '--name', name, '--stall-timeout', '1', '--quiet'], Readable.from(slowStart(), { objectMode: false }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [img] = await imagesNamed(name);
    expect(img?.status).toBe('active');
    if (img) await glance.deleteImageIfExists(img.id);
  });

  it('an upload interrupted with SIGINT exits 130 and deletes the image', async () => {
    const name = `${token}/interrupted`;
    const data = readFileSync(busyboxTar);
    const child = spawn('node', [`${REPO_ROOT}bin/glance-docker.js`, 'import', '-', '--name', name, '--os-image-url', url], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write(data.subarray(0, 1024 * 1024));
    // Keep stdin open: the upload is mid-way when the signal arrives.
    await waitFor(async () => (await imagesNamed(name)).length === 1, { what: 'the import to create its image', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await exited;
    expect(stderr).toMatch(/SIGINT: stopping and cleaning up/);
    expect(stderr).toMatch(/deleted the incomplete Glance image/);
    expect(code).toBe(130);
    expect(await imagesNamed(name)).toEqual([]);
  });

  it('verify catches a stored image corrupted behind Glance\'s back', async () => {
    const name = `${token}/corrupt-later`;
    const r = await cli(['import', busyboxTar, '--name', name, '--format', 'json', '--quiet']);
    expect(r.code).toBe(0);
    const id = (JSON.parse(r.stdout) as { image: { id: string } }).image.id;
    // Flip bytes in the middle of the file store's copy (inside the layer data).
    const fd = openSync(join(GLANCE_STORE_DIR, id), 'r+');
    writeSync(fd, Buffer.from('CORRUPTED'), 0, 9, 600_000);
    closeSync(fd);
    const v = await cli(['verify', id, '--format', 'json', '--quiet']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/corrupted archive|os_hash_value/);
  });

  it('without --verify-layers a corrupt layer is stored as sent (Glance\'s hash matches), and verify names it', async () => {
    const name = `${token}/corrupt-layer-unchecked`;
    const file = join(dir, 'corrupt-layer.tar');
    writeFileSync(file, (await buildDockerArchive({ corruptLayer: 1, layerBytes: 2 * 1024 * 1024 })).tar);
    const r = await cli(['import', file, '--name', name, '--format', 'json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { image: { id: string; status: string }; verified: { layers: boolean } };
    expect(out.image.status).toBe('active');
    expect(out.verified.layers).toBe(false);
    const v = await cli(['verify', out.image.id, '--format', 'json', '--quiet']);
    expect(v.code).toBe(1);
    expect((JSON.parse(v.stdout) as { problems: string[] }).problems.join('\n')).toMatch(/corrupted archive/);
  });
});
