/**
 * Wiring: an {@link ImageEnsurer} from the service configuration
 * ([glance], [keystone_authtoken], [docker] host_url, [compute]
 * glance_image_repository / allowed_container_formats).
 */
import { BridgeError } from '../errors/bridge-error.js';
import type { BridgeConfig } from '../config/options/index.js';
import { parseDockerHostUrl } from '../docker/docker-host-url.js';
import type { Logger } from '../log/logger.js';
import { AxiosHttpClient } from '../openstack/axios-http-client.js';
import type { HttpClient } from '../openstack/http-client.js';
import type { EndpointInterface } from '../openstack/service-catalog.js';
import { DockerodeImageStore } from './dockerode-image-store.js';
import { GlanceAccess, serviceCredentialsFromConfig } from './glance-access.js';
import { ImageEnsurer } from './image-ensurer.js';
import type { LocalImageStore } from './local-image-store.js';

export function imageEnsurerFromConfig(config: BridgeConfig, deps: { logger?: Logger; http?: HttpClient; store?: LocalImageStore } = {}): ImageEnsurer {
  const access = new GlanceAccess({
    http: deps.http ?? new AxiosHttpClient({ userAgent: 'nova-docker-bridge', ...(deps.logger ? { logger: deps.logger } : {}) }),
    apiServers: config.glance.api_servers,
    interfaces: config.glance.valid_interfaces as readonly EndpointInterface[],
    regionName: config.glance.region_name,
    stallTimeoutMs: config.glance.stall_timeout * 1000,
    service: serviceCredentialsFromConfig(config.keystone_authtoken),
  });
  let store = deps.store;
  if (store === undefined) {
    const endpoint = parseDockerHostUrl(config.docker.host_url);
    // The image store speaks to a local socket; remote Engines go through the DockerEngine port only.
    if (endpoint.kind !== 'unix') {
      throw new BridgeError('ERR_CONFIG_INVALID', `images from Glance are loaded through a local Docker socket; [docker] host_url ${config.docker.host_url} is remote (pass a LocalImageStore for it)`);
    }
    store = new DockerodeImageStore({ socketPath: endpoint.socketPath });
  }
  return new ImageEnsurer({
    store,
    glanceFor: (req, signal) => access.client(req, signal),
    repository: config.compute.glance_image_repository,
    allowedContainerFormats: config.compute.allowed_container_formats,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
