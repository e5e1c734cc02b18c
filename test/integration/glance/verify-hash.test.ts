/**
 * glance-docker import --verify-hash against the real glance-api: each choice
 * computes exactly its digests beside the upload, and they equal what Glance
 * recorded (and what an independent hash of the file says).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../../glance/cli/glance-docker.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { TEST_IMAGE, run, uniqueName } from '../../helpers/services.js';

let url: string;
let glance: GlanceClient;
let dir: string;
let file: string;
const ids: string[] = [];
const token = uniqueName('gdhash');

beforeAll(async () => {
  url = await ensureGlance();
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), 'glance-docker-hash-'));
  file = join(dir, 'busybox.tar');
  await run('docker', ['save', '-o', file, TEST_IMAGE]);
});

afterAll(async () => {
  for (const id of ids) await glance.deleteImageIfExists(id);
  rmSync(dir, { recursive: true, force: true });
});

describe('glance-docker import --verify-hash', () => {
  it.each([
    [[] as string[], { md5: true, sha512: false }, /size, checksum \(md5\) match/],
    [['--verify-hash', 'sha512'], { md5: false, sha512: true }, /size, os_hash_value \(sha512\) match/],
    [['--verify-hash', 'both'], { md5: true, sha512: true }, /size, checksum \(md5\), os_hash_value \(sha512\) match/],
  ])('%j', async (extra, computed, text) => {
    const data = readFileSync(file);
    const md5 = createHash('md5').update(data).digest('hex');
    const sha512 = createHash('sha512').update(data).digest('hex');
    for (const format of ['json', 'table']) {
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        stdin: Object.assign(Readable.from([]), { isTTY: true }),
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s), isTTY: false },
        env: { OS_IMAGE_URL: url, HOME: dir },
        cwd: dir,
      };
      const code = await main(['import', file, '--name', `${token}-${extra.join('') || 'default'}-${format}`, '--format', format, '--quiet', ...extra], io);
      expect(code, stderr).toBe(0);
      if (format === 'json') {
        const out = JSON.parse(stdout) as { image: { id: string; checksum: string; os_hash_value: string }; verified: { size: number; md5: string | null; sha512: string | null; layers: boolean } };
        ids.push(out.image.id);
        expect(out.verified).toEqual({ size: data.length, md5: computed.md5 ? md5 : null, sha512: computed.sha512 ? sha512 : null, layers: false });
        expect(out.image).toMatchObject({ checksum: md5, os_hash_value: sha512 });
      } else {
        expect(stdout).toMatch(text);
        const id = /as Glance image (\S+)/.exec(stdout)?.[1];
        if (id) ids.push(id);
      }
    }
  });
});
