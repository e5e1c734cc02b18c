/**
 * The Keystone v3 service catalog and the endpoint lookup OpenStack clients do:
 * by service type, interface (in order of preference) and region.
 */
import { BridgeError } from '../errors/bridge-error.js';

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint {
  readonly interface: string;
  readonly region: string | null;
  readonly url: string;
}

export interface CatalogService {
  readonly type: string;
  readonly name: string | null;
  readonly endpoints: readonly CatalogEndpoint[];
}

export type ServiceCatalog = readonly CatalogService[];

/** v2 endpoint keys (one endpoint entry carries all three interfaces). */
const V2_INTERFACES: readonly (readonly [string, EndpointInterface])[] = [
  ['publicURL', 'public'],
  ['internalURL', 'internal'],
  ['adminURL', 'admin'],
];

/**
 * Parses a service catalog in either shape. v3: `token.catalog` or
 * `GET /v3/auth/catalog`, one endpoint per interface (`url`, `interface`,
 * `region_id`). v2: what Nova's request context carries in `service_catalog`
 * (keystonemiddleware's X-Service-Catalog header is v2-shaped even with v3
 * tokens), one entry with `publicURL`/`internalURL`/`adminURL` and `region`.
 * Entries that do not look like services are skipped.
 */
export function parseServiceCatalog(raw: unknown): ServiceCatalog {
  if (!Array.isArray(raw)) return [];
  const out: CatalogService[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) continue;
    const svc = s as Record<string, unknown>;
    if (typeof svc.type !== 'string' || !Array.isArray(svc.endpoints)) continue;
    const endpoints: CatalogEndpoint[] = [];
    for (const e of svc.endpoints) {
      if (typeof e !== 'object' || e === null) continue;
      const ep = e as Record<string, unknown>;
      const region = typeof ep.region_id === 'string' ? ep.region_id : typeof ep.region === 'string' ? ep.region : null;
      if (typeof ep.url === 'string' && typeof ep.interface === 'string') {
        endpoints.push({ interface: ep.interface, region, url: ep.url });
        continue;
      }
      for (const [key, iface] of V2_INTERFACES) {
        const url = ep[key];
        if (typeof url === 'string' && url !== '') endpoints.push({ interface: iface, region, url });
      }
    }
    out.push({ type: svc.type, name: typeof svc.name === 'string' ? svc.name : null, endpoints });
  }
  return out;
}

/** What to look for in the catalog. */
export interface EndpointQuery {
  /** Service type, e.g. "image". */
  readonly type: string;
  /** Interfaces in order of preference, e.g. ["internal", "public"]. */
  readonly interfaces: readonly EndpointInterface[];
  /** Region; null accepts any (the first match wins, in catalog order). */
  readonly region: string | null;
}

/** The URL of the best matching endpoint, or a clear ERR_CONFIG_INVALID naming what the catalog has. */
export function findEndpoint(catalog: ServiceCatalog, q: EndpointQuery): string {
  const services = catalog.filter((s) => s.type === q.type);
  for (const iface of q.interfaces) {
    for (const s of services) {
      const match = s.endpoints.find((e) => e.interface === iface && (q.region === null || e.region === q.region));
      if (match) return match.url;
    }
  }
  const available = services.flatMap((s) => s.endpoints.map((e) => `${e.interface}@${e.region ?? '-'}`));
  const wanted = `${q.interfaces.join('|')} endpoint of service type "${q.type}"${q.region === null ? '' : ` in region ${q.region}`}`;
  throw new BridgeError(
    'ERR_CONFIG_INVALID',
    available.length === 0
      ? `the service catalog has no ${wanted} (no "${q.type}" service at all): register Glance in Keystone or give the image URL explicitly`
      : `the service catalog has no ${wanted}; it has: ${available.join(', ')}`,
    { details: { service_type: q.type } },
  );
}
