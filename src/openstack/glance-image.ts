/**
 * A Glance v2 image record, parsed from the API's JSON. Glance flattens custom
 * properties into the top level next to the core attributes; here they are
 * split back into `properties` so callers cannot confuse the two.
 */
import { BridgeError } from '../errors/bridge-error.js';

/** Image status values of Glance v2. */
export type GlanceImageStatus = 'queued' | 'saving' | 'uploading' | 'importing' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated';

export interface GlanceImage {
  readonly id: string;
  readonly name: string | null;
  /** Kept as sent, even when this code does not know the value. */
  readonly status: string;
  readonly containerFormat: string | null;
  readonly diskFormat: string | null;
  readonly visibility: string | null;
  readonly owner: string | null;
  readonly size: number | null;
  /** md5 hex of the data (legacy, still set by Glance). */
  readonly checksum: string | null;
  /** Usually "sha512". */
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly protected: boolean;
  readonly minDisk: number;
  readonly minRam: number;
  readonly tags: readonly string[];
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  /** Custom (non-core) properties; Glance only stores strings there, other JSON is kept as sent. */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** Attributes Glance defines itself (schema-image.json); everything else is a custom property. */
export const CORE_IMAGE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id',
  'name',
  'status',
  'container_format',
  'disk_format',
  'visibility',
  'owner',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'protected',
  'min_disk',
  'min_ram',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'os_hidden',
  'stores',
]);

function str(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' ? v : null;
}

function num(o: Record<string, unknown>, key: string): number | null {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Parses one image object; `what` names the call in the error when the answer is not an image. */
export function parseGlanceImage(json: unknown, what: string): GlanceImage {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BridgeError('ERR_GLANCE', `${what}: Glance answered with something that is not an image object`);
  }
  const o = json as Record<string, unknown>;
  const id = str(o, 'id');
  const status = str(o, 'status');
  if (id === null || status === null) throw new BridgeError('ERR_GLANCE', `${what}: Glance's image object lacks "id" or "status"`);
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!CORE_IMAGE_ATTRIBUTES.has(k)) properties[k] = v;
  const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string').sort() : [];
  return {
    id,
    name: str(o, 'name'),
    status,
    containerFormat: str(o, 'container_format'),
    diskFormat: str(o, 'disk_format'),
    visibility: str(o, 'visibility'),
    owner: str(o, 'owner'),
    size: num(o, 'size'),
    checksum: str(o, 'checksum'),
    osHashAlgo: str(o, 'os_hash_algo'),
    osHashValue: str(o, 'os_hash_value'),
    protected: o.protected === true,
    minDisk: num(o, 'min_disk') ?? 0,
    minRam: num(o, 'min_ram') ?? 0,
    tags,
    createdAt: str(o, 'created_at'),
    updatedAt: str(o, 'updated_at'),
    properties,
  };
}
