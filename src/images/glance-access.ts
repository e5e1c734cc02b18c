/**
 * How the compute service reaches Glance for one request: the request's own
 * token when Nova sent one (the tenant's view of Glance, as Nova does),
 * otherwise the service user of [keystone_authtoken], otherwise none (a
 * Glance without authentication). The endpoint is [glance] api_servers (in
 * turn), else the request's service catalog, else the service user's catalog.
 */
import { BridgeError } from '../errors/bridge-error.js';
import { GlanceClient } from '../openstack/glance-client.js';
import type { HttpClient } from '../openstack/http-client.js';
import { KeystoneSession } from '../openstack/keystone-session.js';
import { findEndpoint, parseServiceCatalog, type EndpointInterface } from '../openstack/service-catalog.js';
import { staticToken, type TokenSource } from '../openstack/token-source.js';

/** The service user ([keystone_authtoken]). */
export interface ServiceCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
}

export interface GlanceAccessOptions {
  readonly http: HttpClient;
  /** [glance] api_servers; empty = from a catalog. */
  readonly apiServers: readonly string[];
  readonly interfaces: readonly EndpointInterface[];
  readonly regionName: string | null;
  readonly stallTimeoutMs: number;
  readonly service: ServiceCredentials | null;
}

/** What a request brings: Nova's context `auth_token` and `service_catalog`. */
export interface RequestCredentials {
  readonly authToken?: string | null;
  readonly serviceCatalog?: unknown;
}

export class GlanceAccess {
  private next = 0;
  private readonly session: KeystoneSession | null;

  constructor(private readonly o: GlanceAccessOptions) {
    this.session =
      o.service === null
        ? null
        : new KeystoneSession({
            http: o.http,
            authUrl: o.service.authUrl,
            method: { kind: 'password', user: { name: o.service.username, domainName: o.service.userDomainName }, password: o.service.password },
            scope: { kind: 'project', name: o.service.projectName, domainName: o.service.projectDomainName },
            stallTimeoutMs: o.stallTimeoutMs,
          });
  }

  /** A Glance client for this request. */
  async client(req: RequestCredentials, signal?: AbortSignal): Promise<GlanceClient> {
    const token = typeof req.authToken === 'string' && req.authToken !== '' ? req.authToken : null;
    const tokens: TokenSource = token !== null ? staticToken(token) : (this.session ?? staticToken(null));
    const endpoint = await this.endpoint(req, signal);
    return new GlanceClient({ http: this.o.http, endpoint, tokens, stallTimeoutMs: this.o.stallTimeoutMs });
  }

  private async endpoint(req: RequestCredentials, signal: AbortSignal | undefined): Promise<string> {
    if (this.o.apiServers.length > 0) {
      const url = this.o.apiServers[this.next % this.o.apiServers.length] as string;
      this.next++;
      return url;
    }
    const query = { type: 'image', interfaces: this.o.interfaces, region: this.o.regionName };
    const fromRequest = parseServiceCatalog(req.serviceCatalog);
    if (fromRequest.some((s) => s.type === 'image')) {
      try {
        return findEndpoint(fromRequest, query);
      } catch (err) {
        // The request's catalog may be filtered or of another region; the service user's is the authority.
        if (this.session === null) throw err;
      }
    }
    if (this.session !== null) return findEndpoint(await this.session.catalog(signal), query);
    throw new BridgeError(
      'ERR_CONFIG_INVALID',
      'cannot find Glance: [glance] api_servers is empty, the request carries no service catalog with an image endpoint, and [keystone_authtoken] has no credentials to ask Keystone',
    );
  }
}

/** The [keystone_authtoken] options as credentials, or null when auth_url is unset; half-filled is a config error. */
export function serviceCredentialsFromConfig(section: {
  readonly auth_url: string | null;
  readonly username: string | null;
  readonly password: string | null;
  readonly project_name: string | null;
  readonly user_domain_name: string;
  readonly project_domain_name: string;
}): ServiceCredentials | null {
  if (section.auth_url === null) return null;
  const missing = (['username', 'password', 'project_name'] as const).filter((k) => section[k] === null);
  if (missing.length > 0) throw new BridgeError('ERR_CONFIG_INVALID', `[keystone_authtoken] auth_url is set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not`);
  return {
    authUrl: section.auth_url,
    username: section.username as string,
    password: section.password as string,
    projectName: section.project_name as string,
    userDomainName: section.user_domain_name,
    projectDomainName: section.project_domain_name,
  };
}
