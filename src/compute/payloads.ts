/**
 * The bus arguments of every driver method, validated by hand.
 *
 * The Nova shim sends plain JSON projections of Nova objects with Nova's own
 * field names (docs/bus-api.md). Each parser checks everything the driver will
 * use, names the offending field in its ERR_INVALID_ARGUMENT message, and
 * returns a typed, normalized value. Fields the driver does not use
 * (block_device_info, allocations, accel_info, unknown future kwargs) are
 * accepted and ignored, so a newer Nova does not break the bus.
 */
import { isIP } from 'node:net';
import {
  invalid,
  isObject,
  optArray,
  optBool,
  optInt,
  optObject,
  optString,
  reqArray,
  reqInt,
  reqObject,
  reqString,
  stringMap,
  type JsonObject,
} from '../util/json-fields.js';

// ---- bounds ------------------------------------------------------------------
// Nova's API already enforces tighter limits (metadata items/values ≤ 255, 128
// items; injected files 5 × 10 KiB); these only stop absurd payloads.

export const LIMITS = {
  metadataItems: 128,
  metadataKey: 255,
  metadataValue: 4096,
  systemMetadataItems: 1000,
  systemMetadataValue: 65535,
  extraSpecsItems: 256,
  keyData: 16384,
  /** base64 of Nova's 65535-byte user_data limit. */
  userData: 87384,
  adminPassword: 255,
  injectedFiles: 64,
  injectedFilePath: 255,
  injectedFileBytes: 1024 * 1024,
  injectedTotalBytes: 8 * 1024 * 1024,
  vifs: 64,
  subnetsPerVif: 16,
  dnsPerSubnet: 16,
  ipsPerSubnet: 64,
  routesPerSubnet: 64,
  imageProperties: 512,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

// ---- Nova object projections --------------------------------------------------

/** `instance.flavor`. */
export interface Flavor {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly root_gb: number;
  readonly ephemeral_gb: number;
  /** Swap in MB (Nova stores 0 for none). */
  readonly swap: number;
  readonly extra_specs: Readonly<Record<string, string>>;
  readonly name: string | null;
}

/** `instance`: the fields the driver uses. */
export interface Instance {
  /** Lower-case canonical UUID. */
  readonly uuid: string;
  /** Nova's template name, e.g. "instance-0000000e". */
  readonly name: string | null;
  readonly hostname: string | null;
  readonly display_name: string | null;
  readonly project_id: string | null;
  readonly user_id: string | null;
  readonly flavor: Flavor | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly key_data: string | null;
  readonly user_data: string | null;
  readonly system_metadata: Readonly<Record<string, string | null>>;
}

/** An instance whose flavor is known (spawn). */
export type InstanceWithFlavor = Instance & { readonly flavor: Flavor };

/** `image_meta`. `properties` keeps Nova's ImageMetaProps fields as sent. */
export interface ImageMeta {
  readonly id: string | null;
  readonly name: string | null;
  readonly container_format: string | null;
  readonly disk_format: string | null;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** The parts of one Nova VIF (network model) the driver reads. */
export interface Vif {
  /** The Neutron port ID. */
  readonly id: string | null;
  /** The port's MAC address. */
  readonly address: string | null;
  /** VIF type Neutron bound the port with ("bridge" for Linux bridge, "ovs", …). */
  readonly type: string | null;
  /** Host device name Neutron's agent expects (tap + 11 characters of the port ID). */
  readonly devname: string | null;
  /** network.bridge: the host bridge to plug into (brq… for Linux bridge). */
  readonly bridge: string | null;
  /** network.meta.mtu */
  readonly mtu: number | null;
  readonly subnets: readonly Subnet[];
}

export interface Subnet {
  readonly cidr: string | null;
  readonly dns: readonly string[];
  readonly ips: readonly string[];
  /** gateway.address */
  readonly gateway: string | null;
  /** Host routes of the subnet. */
  readonly routes: readonly SubnetRoute[];
}

export interface SubnetRoute {
  readonly cidr: string;
  readonly gateway: string;
}

/** One `injected_files` entry, decoded. */
export interface InjectedFile {
  readonly path: string;
  readonly content: Buffer;
}

// ---- method arguments -----------------------------------------------------------

export interface SpawnArgs {
  readonly instance: InstanceWithFlavor;
  readonly image_meta: ImageMeta;
  readonly injected_files: readonly InjectedFile[];
  readonly admin_password: string | null;
  readonly network_info: readonly Vif[];
  readonly power_on: boolean;
}
export interface InstanceArgs {
  readonly instance: Instance;
}
export interface RebootArgs extends InstanceArgs {
  readonly reboot_type: 'SOFT' | 'HARD';
}
export interface PowerOffArgs extends InstanceArgs {
  /** Seconds to wait for a clean shutdown; 0 = force at once. */
  readonly timeout: number;
  readonly retry_interval: number;
}
export interface LiveResizeArgs extends InstanceArgs {
  readonly flavor: Flavor;
}
export interface InitHostArgs {
  readonly host: string;
}
export interface SnapshotArgs extends InstanceArgs {
  /** The Glance image Nova created (queued) for the snapshot's data. */
  readonly image_id: string;
}
export interface AvailableResourceArgs {
  readonly nodename: string | null;
}

// ---- parsers --------------------------------------------------------------------

export function parseFlavor(v: unknown, field: string): Flavor {
  const f = reqObject(v, field);
  return {
    vcpus: reqInt(f.vcpus, `${field}.vcpus`, { min: 1, max: 4096 }),
    memory_mb: reqInt(f.memory_mb, `${field}.memory_mb`, { min: 1, max: 64 * 1024 * 1024 }),
    root_gb: optInt(f.root_gb, `${field}.root_gb`, 0, { min: 0, max: 1024 * 1024 }),
    ephemeral_gb: optInt(f.ephemeral_gb, `${field}.ephemeral_gb`, 0, { min: 0, max: 1024 * 1024 }),
    swap: optInt(f.swap, `${field}.swap`, 0, { min: 0, max: 64 * 1024 * 1024 }),
    extra_specs: stringMap(f.extra_specs, `${field}.extra_specs`, {
      maxItems: LIMITS.extraSpecsItems,
      key: { max: 255 },
      value: { max: 4096 },
    }),
    name: optString(f.name, `${field}.name`, { max: 255 }),
  };
}

export function parseInstance(v: unknown, field = 'instance'): Instance {
  const o = reqObject(v, field);
  const uuid = reqString(o.uuid, `${field}.uuid`, { pattern: UUID, patternText: 'a UUID (8-4-4-4-12 hex digits)' }).toLowerCase();
  return {
    uuid,
    name: optString(o.name, `${field}.name`, { max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, patternText: 'a name of letters, digits, "_", "." and "-"' }),
    hostname: optString(o.hostname, `${field}.hostname`, { pattern: HOSTNAME, patternText: 'an RFC 1123 host name (letters, digits, inner hyphens; labels of at most 63)' }),
    display_name: optString(o.display_name, `${field}.display_name`, { max: 255, noControl: false }),
    project_id: optString(o.project_id, `${field}.project_id`, { max: 255 }),
    user_id: optString(o.user_id, `${field}.user_id`, { max: 255 }),
    flavor: o.flavor === undefined || o.flavor === null ? null : parseFlavor(o.flavor, `${field}.flavor`),
    metadata: stringMap(o.metadata, `${field}.metadata`, {
      maxItems: LIMITS.metadataItems,
      key: { max: LIMITS.metadataKey },
      value: { max: LIMITS.metadataValue, noControl: false },
    }),
    key_data: parseKeyData(o.key_data, `${field}.key_data`),
    user_data: optString(o.user_data, `${field}.user_data`, { max: LIMITS.userData, pattern: BASE64, patternText: 'base64 text', noControl: false }),
    system_metadata: stringMap(o.system_metadata, `${field}.system_metadata`, {
      maxItems: LIMITS.systemMetadataItems,
      key: { max: 255 },
      value: { max: LIMITS.systemMetadataValue, noControl: false },
      nullValues: true,
    }),
  };
}

function parseKeyData(v: unknown, field: string): string | null {
  const s = optString(v, field, { max: LIMITS.keyData, noControl: false });
  if (s === null) return null;
  // Newlines separate keys; anything else non-printable is not an OpenSSH public key.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) throw invalid(field, 'must contain only printable characters and newlines');
  if (s.trim() === '') return null;
  return s;
}

export function parseImageMeta(v: unknown, field = 'image_meta'): ImageMeta {
  const o = reqObject(v, field);
  const props = optObject(o.properties, `${field}.properties`) ?? {};
  if (Object.keys(props).length > LIMITS.imageProperties) throw invalid(`${field}.properties`, `must have at most ${LIMITS.imageProperties} entries`);
  return {
    id: optString(o.id, `${field}.id`, { max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, patternText: 'a Glance image ID' }),
    name: optString(o.name, `${field}.name`, { max: 255 }),
    container_format: optString(o.container_format, `${field}.container_format`, { max: 64 }),
    disk_format: optString(o.disk_format, `${field}.disk_format`, { max: 64 }),
    properties: { ...props },
  };
}

export function parseNetworkInfo(v: unknown, field = 'network_info'): Vif[] {
  return optArray(v, field, LIMITS.vifs).map((raw, i) => {
    const vf = `${field}[${i}]`;
    const vif = reqObject(raw, vf);
    const network = optObject(vif.network, `${vf}.network`);
    const subnets = network === null ? [] : optArray(network.subnets, `${vf}.network.subnets`, LIMITS.subnetsPerVif);
    const meta = network === null ? null : optObject(network.meta, `${vf}.network.meta`);
    return {
      id: optString(vif.id, `${vf}.id`, { max: 255 }),
      address: optString(vif.address, `${vf}.address`, { max: 64 }),
      type: optString(vif.type, `${vf}.type`, { max: 64 }),
      devname: optString(vif.devname, `${vf}.devname`, { max: 64 }),
      bridge: network === null ? null : optString(network.bridge, `${vf}.network.bridge`, { max: 64 }),
      mtu: meta === null || meta.mtu === undefined || meta.mtu === null ? null : reqInt(meta.mtu, `${vf}.network.meta.mtu`, { min: 68, max: 65535 }),
      subnets: subnets.map((s, j) => parseSubnet(s, `${vf}.network.subnets[${j}]`)),
    };
  });
}

function parseSubnet(v: unknown, field: string): Subnet {
  const s = reqObject(v, field);
  const ipOf = (x: unknown, f: string): string => {
    const o = reqObject(x, f);
    const addr = reqString(o.address, `${f}.address`, { max: 64 });
    if (isIP(addr) === 0) throw invalid(`${f}.address`, `must be an IP address, got ${JSON.stringify(addr)}`);
    return addr;
  };
  const gateway = optObject(s.gateway, `${field}.gateway`);
  return {
    cidr: optString(s.cidr, `${field}.cidr`, { max: 64 }),
    dns: optArray(s.dns, `${field}.dns`, LIMITS.dnsPerSubnet).map((d, k) => ipOf(d, `${field}.dns[${k}]`)),
    ips: optArray(s.ips, `${field}.ips`, LIMITS.ipsPerSubnet).map((d, k) => ipOf(d, `${field}.ips[${k}]`)),
    // Nova's model has {"address": null} for a subnet without a gateway.
    gateway: gateway === null || gateway.address === null || gateway.address === undefined ? null : ipOf(gateway, `${field}.gateway`),
    routes: optArray(s.routes, `${field}.routes`, LIMITS.routesPerSubnet).map((r, k) => {
      const rf = `${field}.routes[${k}]`;
      const route = reqObject(r, rf);
      return { cidr: reqString(route.cidr, `${rf}.cidr`, { max: 64 }), gateway: ipOf(route.gateway, `${rf}.gateway`) };
    }),
  };
}

/** `[[path, base64 content], …]` (Nova's list of (path, bytes), base64-encoded for JSON). */
export function parseInjectedFiles(v: unknown, field = 'injected_files'): InjectedFile[] {
  let total = 0;
  return optArray(v, field, LIMITS.injectedFiles).map((raw, i) => {
    const f = `${field}[${i}]`;
    const pair = reqArray(raw, f, 2);
    if (pair.length !== 2) throw invalid(f, `must be a [path, base64 content] pair, got ${pair.length} items`);
    const path = reqString(pair[0], `${f}[0]`, { min: 2, max: LIMITS.injectedFilePath });
    if (!path.startsWith('/')) throw invalid(`${f}[0]`, `must be an absolute path, got ${JSON.stringify(path)}`);
    const segments = path.split('/').slice(1);
    if (segments.some((s) => s === '..' || s === '.' || s === '')) {
      throw invalid(`${f}[0]`, `must be a normalized path to a file (no "..", "." or empty segments), got ${JSON.stringify(path)}`);
    }
    const b64 = reqString(pair[1], `${f}[1]`, { max: Math.ceil(LIMITS.injectedFileBytes / 3) * 4 + 4, pattern: BASE64, patternText: 'base64 text', noControl: false });
    const content = Buffer.from(b64, 'base64');
    if (content.length > LIMITS.injectedFileBytes) throw invalid(`${f}[1]`, `must decode to at most ${LIMITS.injectedFileBytes} bytes`);
    total += content.length;
    if (total > LIMITS.injectedTotalBytes) throw invalid(field, `must total at most ${LIMITS.injectedTotalBytes} bytes`);
    return { path, content };
  });
}

function parseAdminPassword(v: unknown, field = 'admin_password'): string | null {
  // Control characters (newlines above all) would let a password inject extra chpasswd lines.
  const s = optString(v, field, { max: LIMITS.adminPassword });
  return s === '' ? null : s;
}

function args(v: unknown): JsonObject {
  if (!isObject(v)) throw invalid('arguments', 'must be an object of keyword arguments');
  return v;
}

export function parseSpawnArgs(raw: unknown): SpawnArgs {
  const a = args(raw);
  const instance = parseInstance(a.instance);
  if (instance.flavor === null) throw invalid('instance.flavor', 'is required to spawn (vcpus, memory_mb, root_gb, extra_specs)');
  return {
    instance: instance as InstanceWithFlavor,
    image_meta: parseImageMeta(a.image_meta),
    injected_files: parseInjectedFiles(a.injected_files),
    admin_password: parseAdminPassword(a.admin_password),
    network_info: parseNetworkInfo(a.network_info),
    power_on: optBool(a.power_on, 'power_on', true),
  };
}

export function parseInstanceArgs(raw: unknown): InstanceArgs {
  return { instance: parseInstance(args(raw).instance) };
}

export function parseRebootArgs(raw: unknown): RebootArgs {
  const a = args(raw);
  const t = reqString(a.reboot_type, 'reboot_type');
  if (t !== 'SOFT' && t !== 'HARD') throw invalid('reboot_type', `must be "SOFT" or "HARD", got ${JSON.stringify(t)}`);
  return { instance: parseInstance(a.instance), reboot_type: t };
}

export function parsePowerOffArgs(raw: unknown): PowerOffArgs {
  const a = args(raw);
  return {
    instance: parseInstance(a.instance),
    timeout: optInt(a.timeout, 'timeout', 0, { min: 0, max: 86400 }),
    retry_interval: optInt(a.retry_interval, 'retry_interval', 0, { min: 0, max: 86400 }),
  };
}

export function parseLiveResizeArgs(raw: unknown): LiveResizeArgs {
  const a = args(raw);
  return { instance: parseInstance(a.instance), flavor: parseFlavor(a.flavor, 'flavor') };
}

export function parseSnapshotArgs(raw: unknown): SnapshotArgs {
  const a = args(raw);
  return {
    instance: parseInstance(a.instance),
    image_id: reqString(a.image_id, 'image_id', { max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, patternText: 'a Glance image ID' }).toLowerCase(),
  };
}

export function parseInitHostArgs(raw: unknown): InitHostArgs {
  return { host: reqString(args(raw).host, 'host', { min: 1, max: 255 }) };
}

export function parseAvailableResourceArgs(raw: unknown): AvailableResourceArgs {
  return { nodename: optString(args(raw).nodename, 'nodename', { min: 1, max: 255 }) };
}

/** Methods without arguments still get their (empty) kwargs checked for shape. */
export function parseNoArgs(raw: unknown): Record<string, never> {
  args(raw);
  return {};
}
