/**
 * uploadArchive of a regular file against the real glance-api: the archive's
 * metadata is read before the upload, the record is created with its
 * properties, and the PATCH after the upload is replaced by a GET; when the
 * file's bytes turn out different from what the pre-scan read, the upload's
 * own inspection wins.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadArchive, type ArchiveSource } from '../../../src/images/upload-archive.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import type { HttpClient, HttpRequest } from '../../../src/openstack/http-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { buildDockerArchive } from '../../helpers/docker-archives.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { uniqueName } from '../../helpers/services.js';

let url: string;
const dir = mkdtempSync(join(tmpdir(), 'ndb-prescan-it-'));
const created: string[] = [];
const prefix = uniqueName('prescan');

/** Glance through an HttpClient that records every request. */
function recordingGlance(): { glance: GlanceClient; seen: HttpRequest[] } {
  const inner = new AxiosHttpClient();
  const seen: HttpRequest[] = [];
  const http: HttpClient = { request: (req) => (seen.push(req), inner.request(req)) };
  return { glance: new GlanceClient({ http, endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 }), seen };
}

async function importFrom(glance: GlanceClient, source: ArchiveSource, name: string | null) {
  const r = await uploadArchive({ glance, source, name, userProperties: { team: 'qa' }, allowUnloadable: false, wait: false, visibility: null, properties: { hypervisor_type: 'docker', team: 'qa' } });
  created.push(r.image.id);
  return r;
}

const methods = (seen: HttpRequest[]): string[] => seen.map((r) => `${r.method} ${r.body?.kind === 'json' ? 'json' : r.body?.kind ?? '-'}`);

beforeAll(async () => {
  url = await ensureGlance();
});

afterAll(async () => {
  const { glance } = recordingGlance();
  for (const id of created) await glance.deleteImageIfExists(id).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('uploadArchive of a pre-scanned file', () => {
  it('creates the record complete and reads it back instead of patching it', async () => {
    const tag = `${prefix}/complete:1`;
    const built = await buildDockerArchive({ layout: 'docker+oci', repoTags: [tag], layerBytes: 1.5 * 1024 * 1024 });
    const file = join(dir, 'complete.tar');
    writeFileSync(file, built.tar);
    const { glance, seen } = recordingGlance();
    const r = await importFrom(glance, { stream: createReadStream(file), length: built.tar.length, description: 'file complete.tar', file }, null);
    expect(methods(seen)).toEqual(['POST json', 'PUT stream', 'GET -']);
    const create = seen[0]?.body as { kind: 'json'; value: Record<string, unknown> };
    expect(create.value).toMatchObject({ name: tag, docker_image_id: built.imageId, docker_repo_tags: tag, architecture: 'x86_64', os_type: 'linux', team: 'qa' });
    expect(r.image).toMatchObject({ name: tag, status: 'active' });
    expect(r.image.properties).toMatchObject({ docker_image_id: built.imageId, docker_repo_tags: tag, team: 'qa' });
  });

  it('the upload’s inspection wins over a pre-scan of other bytes: properties corrected, stale ones removed', async () => {
    const read = await buildDockerArchive({ repoTags: [`${prefix}/before:1`] });
    const sent = await buildDockerArchive({ repoTags: [], architecture: 'arm64' });
    const file = join(dir, 'changed.tar');
    writeFileSync(file, read.tar);
    const { glance, seen } = recordingGlance();
    const r = await importFrom(glance, { stream: Readable.from([sent.tar]), length: sent.tar.length, description: 'file changed.tar', file }, null);
    expect(methods(seen)).toEqual(['POST json', 'PUT stream', 'PATCH json']);
    expect(r.image.name).toBe(`docker-image-${sent.imageId.slice('sha256:'.length, 'sha256:'.length + 12)}`);
    expect(r.image.properties).toMatchObject({ docker_image_id: sent.imageId, architecture: 'aarch64' });
    expect(r.image.properties).not.toHaveProperty('docker_repo_tags');
  });

  it('a source that is not a file is patched after the upload, as before', async () => {
    const tag = `${prefix}/stream:1`;
    const built = await buildDockerArchive({ repoTags: [tag] });
    const { glance, seen } = recordingGlance();
    const r = await importFrom(glance, { stream: Readable.from([built.tar]), length: null, description: 'stdin' }, null);
    expect(methods(seen)).toEqual(['POST json', 'PUT stream', 'PATCH json']);
    expect(r.image).toMatchObject({ name: tag });
    expect(r.image.properties).toMatchObject({ docker_image_id: built.imageId, docker_repo_tags: tag });
  });
});
