/**
 * One spawn-time image download, as the compute service does it: the
 * production ImageEnsurer (Glance → SideTee(hash, archive inspector) →
 * docker load → tag) with the production adapters, for one Glance image that
 * is not on the Engine. Prints one JSON line: seconds, whether it
 * downloaded, the Docker image ID and the process's peak RSS.
 *
 * Usage (compiled by bench/glance/run.ts): node ensure-once.js GLANCE_URL IMAGE_ID REPOSITORY [DOCKER_HOST_URL]
 */
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { GlanceAccess } from '../../src/images/glance-access.js';
import { ImageEnsurer } from '../../src/images/image-ensurer.js';
import { AxiosHttpClient } from '../../src/openstack/axios-http-client.js';

const [url, imageId, repository, hostUrl] = process.argv.slice(2);
if (url === undefined || imageId === undefined || repository === undefined) {
  process.stderr.write('usage: ensure-once.js GLANCE_URL IMAGE_ID REPOSITORY [DOCKER_HOST_URL]\n');
  process.exit(2);
}
const engine = new DockerodeEngine({ hostUrl: hostUrl ?? 'unix:///var/run/docker.sock', apiTimeoutMs: 60_000 });
const access = new GlanceAccess({ http: new AxiosHttpClient(), apiServers: [url], interfaces: ['public'], regionName: null, stallTimeoutMs: 120_000, service: null });
const ensurer = new ImageEnsurer({ store: engine, glanceFor: (req, s) => access.client(req, s), repository, allowedContainerFormats: ['docker'] });
const t0 = process.hrtime.bigint();
const r = await ensurer.ensureImage({ id: imageId }, { authToken: null });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${JSON.stringify({ seconds, downloaded: r.downloaded, image_id: r.imageId, reference: r.reference, peak_rss_mib: process.resourceUsage().maxRSS / 1024 })}\n`);
