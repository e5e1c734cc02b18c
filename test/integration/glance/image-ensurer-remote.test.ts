/**
 * Images at spawn on a remote Docker Engine: the composition root's wiring
 * (createDockerEngine + imageEnsurerFromConfig) with [docker] host_url =
 * tcp://… and TLS client certificates loads a Glance image through the same
 * adapter the driver uses (a TLS terminator in front of the real dockerd).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/compute/create-compute-driver.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { imageEnsurerFromConfig } from '../../../src/images/image-ensurer-from-config.js';
import { findLocalImage } from '../../../src/images/local-image-store.js';
import { silentLogger } from '../../../src/log/logger.js';
import { AxiosHttpClient } from '../../../src/openstack/axios-http-client.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import { staticToken } from '../../../src/openstack/token-source.js';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { packEntries } from '../../helpers/docker-archives.js';
import { ensureGlance } from '../../helpers/glance-server.js';
import { DOCKER_SOCKET, TEST_LABEL, run, uniqueName } from '../../helpers/services.js';
import { startTlsDockerProxy, type TlsDockerProxy } from '../../helpers/tls-docker-proxy.js';

const REPOSITORY = 'nova-docker-bridge-test/glance-remote';
const token = uniqueName('remote');
const local = new DockerodeEngine({ hostUrl: `unix://${DOCKER_SOCKET}`, apiTimeoutMs: 30_000 });
let proxy: TlsDockerProxy;
let glance: GlanceClient;
let url: string;
const glanceIds: string[] = [];
const refs: string[] = [];

beforeAll(async () => {
  [url, proxy] = await Promise.all([ensureGlance(), startTlsDockerProxy()]);
  glance = new GlanceClient({ http: new AxiosHttpClient(), endpoint: url, tokens: staticToken(null), stallTimeoutMs: 30_000 });
});

afterAll(async () => {
  for (const id of glanceIds) await glance.deleteImageIfExists(id).catch(() => undefined);
  for (const ref of refs) await local.removeImage(ref, { force: false }).catch(() => undefined);
  await proxy?.close();
});

describe('images from Glance on a remote Engine ([docker] host_url = tcp:// with TLS)', () => {
  it('the service wiring downloads a missing image into the remote Engine', async () => {
    const repoTag = `nova-docker-bridge-test/remote-${token}:1`;
    const rootfs = await packEntries([{ name: 'hello.txt', content: `${token}\n`.repeat(5000) }]);
    await run('docker', ['import', '--change', `LABEL ${TEST_LABEL}=1`, '-', repoTag], { input: rootfs });
    const imageId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', repoTag])).stdout.trim();
    const tar = Buffer.from((await run('bash', ['-c', `docker save ${repoTag} | base64 -w0`])).stdout.trim(), 'base64');
    await run('docker', ['rmi', repoTag]);
    const img = await glance.createImage({ name: `${token}-remote`, containerFormat: 'docker', diskFormat: 'raw' });
    glanceIds.push(img.id);
    refs.push(`${REPOSITORY}:${img.id}`, repoTag);
    await glance.uploadImageData(img.id, Readable.from([tar]), { length: tar.length });

    const config = loadConfig([], {
      overrides: {
        DEFAULT: { host: token },
        docker: { host_url: `tcp://127.0.0.1:${proxy.port}`, ca_file: proxy.files.caFile, cert_file: proxy.files.certFile, key_file: proxy.files.keyFile },
        glance: { api_servers: url },
        compute: { glance_image_repository: REPOSITORY },
      },
    });
    const engine = createDockerEngine(config, silentLogger);
    expect(engine.describe).toBe(`https://127.0.0.1:${proxy.port}`);
    const ensured = await imageEnsurerFromConfig(config, { store: engine }).ensureImage({ id: img.id }, { authToken: null });
    expect(ensured).toEqual({ reference: `${REPOSITORY}:${img.id}`, imageId, downloaded: true });
    expect((await findLocalImage(local, `${REPOSITORY}:${img.id}`))?.id).toBe(imageId);
  });
});
