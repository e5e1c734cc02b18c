/**
 * Wiring: an {@link ImageEnsurer} from the service configuration ([glance],
 * [keystone_authtoken], [compute] glance_image_repository /
 * allowed_container_formats) and the Docker Engine the composition root chose
 * (the same adapter the compute driver uses, local socket or TCP+TLS).
 */
import type { BridgeConfig } from '../config/options/index.js';
import type { Logger } from '../log/logger.js';
import { AxiosHttpClient } from '../openstack/axios-http-client.js';
import type { HttpClient } from '../openstack/http-client.js';
import type { EndpointInterface } from '../openstack/service-catalog.js';
import { GlanceAccess, serviceCredentialsFromConfig } from './glance-access.js';
import { ImageEnsurer } from './image-ensurer.js';
import type { LocalImageStore } from './local-image-store.js';

/** How the compute service reaches Glance, from [glance] and [keystone_authtoken]. */
export function glanceAccessFromConfig(config: BridgeConfig, deps: { logger?: Logger; http?: HttpClient } = {}): GlanceAccess {
  return new GlanceAccess({
    http: deps.http ?? new AxiosHttpClient({ userAgent: 'nova-docker-bridge', ...(deps.logger ? { logger: deps.logger } : {}) }),
    apiServers: config.glance.api_servers,
    interfaces: config.glance.valid_interfaces as readonly EndpointInterface[],
    regionName: config.glance.region_name,
    stallTimeoutMs: config.glance.stall_timeout * 1000,
    service: serviceCredentialsFromConfig(config.keystone_authtoken),
  });
}

export function imageEnsurerFromConfig(config: BridgeConfig, deps: { store: LocalImageStore; access?: GlanceAccess; logger?: Logger; http?: HttpClient }): ImageEnsurer {
  const access = deps.access ?? glanceAccessFromConfig(config, deps);
  return new ImageEnsurer({
    store: deps.store,
    glanceFor: (req, signal) => access.client(req, signal),
    repository: config.compute.glance_image_repository,
    allowedContainerFormats: config.compute.allowed_container_formats,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
