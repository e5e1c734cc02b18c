/**
 * The Glance properties a docker image gets, as pure functions.
 *
 * Scheduling (nova-docker's conventions, still honoured by Nova's
 * ImagePropertiesFilter through the legacy names): `hypervisor_type=docker`,
 * `vm_mode=exe`, `architecture` in Nova's spelling (x86_64, not Go's amd64).
 * Our own record of what the archive holds: `docker_image_id`,
 * `docker_repo_tags`, `docker_labels`. Sahara's image registry:
 * `_sahara_username` and `_sahara_tag_<tag>=True`. Glance only stores strings,
 * keys of at most 255 characters, 128 properties by default.
 */
import { BridgeError } from '../errors/bridge-error.js';
import { CORE_IMAGE_ATTRIBUTES } from '../openstack/glance-image.js';
import type { ArchiveImage } from '../image-archive/archive-manifest.js';

/** Go's GOARCH (+ variant) → Nova's architecture names (nova.objects.fields.Architecture). */
export function novaArchitecture(goArch: string | null, variant: string | null): string | null {
  if (goArch === null) return null;
  switch (goArch) {
    case 'amd64':
      return 'x86_64';
    case '386':
      return 'i686';
    case 'arm64':
      return 'aarch64';
    case 'arm':
      return variant === 'v6' ? 'armv6' : variant === 'v7' || variant === null ? 'armv7l' : `arm${variant}`;
    case 'ppc64le':
      return 'ppc64le';
    case 'ppc64':
      return 'ppc64';
    case 's390x':
      return 's390x';
    case 'riscv64':
      return 'riscv64';
    case 'mips64le':
      return 'mips64el';
    default:
      return goArch;
  }
}

/** What the operator asked for on the command line. */
export interface RequestedProperties {
  /** `--property k=v`, in order. */
  readonly user: Readonly<Record<string, string>>;
  readonly saharaUsername: string | null;
  /** Sahara tags (plugin name, version…). */
  readonly saharaTags: readonly string[];
}

const KEY = /^[A-Za-z0-9_:.-]{1,255}$/;

/** Parses one `--property key=value` argument. */
export function parsePropertyArg(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new BridgeError('ERR_INVALID_ARGUMENT', `--property ${JSON.stringify(arg)}: expected key=value`);
  const key = arg.slice(0, eq);
  const value = arg.slice(eq + 1);
  if (!KEY.test(key)) throw new BridgeError('ERR_INVALID_ARGUMENT', `--property ${JSON.stringify(key)}: keys are 1–255 characters of letters, digits, "_", ":", ".", "-"`);
  if (CORE_IMAGE_ATTRIBUTES.has(key)) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `--property ${key}: "${key}" is a Glance attribute, not a property${key === 'name' ? ' (use --name)' : key === 'visibility' ? ' (use --visibility)' : ''}`);
  }
  return [key, value];
}

/** Properties known before any byte is read: set when the image record is created. */
export function initialProperties(req: RequestedProperties): Record<string, string> {
  const out: Record<string, string> = { hypervisor_type: 'docker', vm_mode: 'exe' };
  if (req.saharaUsername !== null) out._sahara_username = req.saharaUsername;
  for (const tag of req.saharaTags) {
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(tag)) throw new BridgeError('ERR_INVALID_ARGUMENT', `--sahara-tag ${JSON.stringify(tag)}: letters, digits, "_", "." and "-" only`);
    out[`_sahara_tag_${tag}`] = 'True';
  }
  // The operator's word wins over our defaults.
  Object.assign(out, req.user);
  checkQuota(out);
  return out;
}

/**
 * Properties learned from the archive (its manifest and config come last in
 * the stream, so these are patched in after the upload, or set at creation
 * when a file could be pre-scanned). Values the operator set explicitly are
 * not overridden.
 */
export function archiveProperties(image: ArchiveImage, user: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { docker_image_id: image.imageId, docker_repo_tags: repoTagsValue(image.repoTags) };
  const arch = novaArchitecture(image.architecture, image.variant);
  if (arch !== null) out.architecture = arch;
  if (image.os !== null) out.os_type = image.os;
  const labels = boundedLabels(image.labels);
  if (labels !== null) out.docker_labels = labels;
  for (const k of Object.keys(user)) delete out[k];
  if (out.docker_repo_tags === '') delete out.docker_repo_tags;
  return out;
}

/**
 * Longest value written for a descriptive property. Glance keeps values in a
 * TEXT column (64 KiB on MySQL); an image whose labels or tags exceed it would
 * fail its PATCH after the whole upload. These are records, not inputs, so
 * they are shortened (whole entries dropped, in order), never refused.
 */
export const MAX_DESCRIPTIVE_VALUE = 16 * 1024;

/** docker_repo_tags as recorded: the tags comma-separated, as many whole ones as fit. */
export function repoTagsValue(items: readonly string[]): string {
  let out = '';
  for (const item of items) {
    const next = out === '' ? item : `${out},${item}`;
    if (next.length > MAX_DESCRIPTIVE_VALUE) break;
    out = next;
  }
  return out;
}

/** The labels as JSON, keeping whole labels in key order while they fit; null when none. */
function boundedLabels(labels: Readonly<Record<string, string>>): string | null {
  const kept: Record<string, string> = {};
  let size = 2;
  for (const key of Object.keys(labels).sort()) {
    const entry = JSON.stringify(key).length + 1 + JSON.stringify(labels[key]).length + 1;
    if (size + entry > MAX_DESCRIPTIVE_VALUE) continue;
    kept[key] = labels[key] as string;
    size += entry;
  }
  return Object.keys(kept).length === 0 ? null : JSON.stringify(kept);
}

/** Glance's default image_property_quota. */
export const GLANCE_PROPERTY_QUOTA = 128;

function checkQuota(props: Readonly<Record<string, string>>): void {
  // Archive properties add up to 5 more later.
  if (Object.keys(props).length + 5 > GLANCE_PROPERTY_QUOTA) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `too many properties (${Object.keys(props).length}); Glance accepts ${GLANCE_PROPERTY_QUOTA} per image by default`);
  }
}

/** The Glance name when --name was not given: the first repo tag (at most Glance's 255 characters), else the short image ID. */
export function defaultImageName(image: ArchiveImage): string {
  return (image.repoTags[0] ?? `docker-image-${image.imageId.replace(/^sha256:/, '').slice(0, 12)}`).slice(0, 255);
}
