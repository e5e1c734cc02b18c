/**
 * Command-line parsing of glance-docker (pure). Credentials use the option
 * names of python-openstackclient (--os-cloud, --os-auth-url, --os-token,
 * --os-image-url …) so existing habits and scripts carry over.
 */
import { parseArgs } from 'node:util';
import { BridgeError } from '../../src/errors/bridge-error.js';
import type { CredentialSettings } from '../../src/openstack/credentials.js';
import { initialProperties, parsePropertyArg } from '../../src/images/image-properties.js';
import type { HashAlgorithm } from '../../src/stream/hash-workers.js';

export type Command = 'import' | 'list' | 'show' | 'verify' | 'help';

export interface CliArgs {
  readonly command: Command;
  readonly positionals: readonly string[];
  readonly name: string | null;
  readonly fromDocker: string | null;
  readonly properties: Readonly<Record<string, string>>;
  readonly visibility: string | null;
  readonly wait: boolean;
  readonly format: 'table' | 'json';
  readonly quiet: boolean;
  readonly allowUnloadable: boolean;
  readonly saharaUsername: string | null;
  readonly saharaTags: readonly string[];
  /** What import sets when it creates the image: defaults, Sahara's, --property (checked here). */
  readonly initialProperties: Readonly<Record<string, string>>;
  readonly stallTimeoutS: number;
  /** --verify-hash: the digests import computes and compares with Glance's. */
  readonly verifyHash: readonly HashAlgorithm[];
  /** --verify-layers: hash every layer against the archive's config while importing. */
  readonly verifyLayers: boolean;
  readonly cloud: string | null;
  /** --os-* values as settings; only the ones given. */
  readonly credentials: CredentialSettings;
}

/** A usage mistake: exit code 2 and the usage text. */
export class UsageError extends BridgeError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

export const USAGE = `Usage: glance-docker <command> [options]

Commands:
  import [FILE|-]        Upload a docker save archive (plain or gzip; file, stdin, or --from-docker)
  list                   Docker-format images in Glance, with their tags and image IDs
  show IMAGE             One image (ID or exact name)
  verify IMAGE           Download an image and check its hashes, archive and recorded properties

Import options:
  --name NAME            Glance image name (default: the archive's first repo tag)
  --from-docker IMAGE    Read the archive from the local Docker daemon (docker save IMAGE)
  --property KEY=VALUE   Extra image property (repeatable)
  --visibility V         private | shared | community | public
  --sahara-username U    Register for Sahara: _sahara_username
  --sahara-tag TAG       Register for Sahara: _sahara_tag_TAG=True (repeatable; plugin and version)
  --allow-unloadable     Accept archives Docker 20.10 cannot load (OCI-only layout, zstd layers)
  --wait                 Wait until Glance reports the image active
  --verify-hash H        md5 (default: Glance's checksum), sha512 (its os_hash_value) or both;
                         each digest costs CPU beside the upload (see docs/glance.md)
  --verify-layers        Also hash every layer against the archive's config and refuse a corrupt
                         one before it is stored (~1 CPU-s per GiB more; docker load checks layers
                         at spawn and "verify" checks them on demand either way)

Common options:
  --format table|json    Output format (default table; json for scripts)
  --quiet                No progress output
  --stall-timeout SECS   Give up when no data moves for this long (default 120)
  --os-cloud NAME        Cloud from clouds.yaml (or OS_CLOUD)
  --os-auth-url URL, --os-username U, --os-password P, --os-project-name P, --os-project-id ID,
  --os-user-domain-name D, --os-project-domain-name D, --os-region-name R, --os-interface I,
  --os-auth-type T, --os-token TOKEN, --os-image-url URL
                         As python-openstackclient; the OS_* variables work too.
                         A Glance without authentication needs only --os-image-url.

Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
`;

const OS_FLAGS: Record<string, keyof CredentialSettings> = {
  'os-auth-url': 'auth_url',
  'os-username': 'username',
  'os-user-id': 'user_id',
  'os-password': 'password',
  'os-project-name': 'project_name',
  'os-project-id': 'project_id',
  'os-user-domain-name': 'user_domain_name',
  'os-user-domain-id': 'user_domain_id',
  'os-project-domain-name': 'project_domain_name',
  'os-project-domain-id': 'project_domain_id',
  'os-region-name': 'region_name',
  'os-interface': 'interface',
  'os-auth-type': 'auth_type',
  'os-token': 'token',
  'os-image-url': 'image_url',
};

const VISIBILITIES = ['private', 'shared', 'community', 'public'];

/**
 * --verify-hash. md5 by default: it is Glance's `checksum`, which Glance
 * records whatever its `hashing_algorithm`, it proves Glance stored the bytes
 * sent, and it is the cheapest; every digest costs a CPU core-second or more
 * per GiB, which on a host shared with Glance slows the upload. The sha512
 * os_hash_value is what compute hosts check at spawn and `verify` checks.
 */
const VERIFY_HASH: Readonly<Record<string, readonly HashAlgorithm[]>> = { md5: ['md5'], sha512: ['sha512'], both: ['md5', 'sha512'] };

export function parseCli(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        'from-docker': { type: 'string' },
        property: { type: 'string', multiple: true },
        visibility: { type: 'string' },
        wait: { type: 'boolean' },
        format: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        'allow-unloadable': { type: 'boolean' },
        'sahara-username': { type: 'string' },
        'sahara-tag': { type: 'string', multiple: true },
        'stall-timeout': { type: 'string' },
        'verify-hash': { type: 'string' },
        'verify-layers': { type: 'boolean' },
        'os-cloud': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(OS_FLAGS).map((k) => [k, { type: 'string' as const }])),
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const [first, ...rest] = parsed.positionals;
  if (v.help === true || first === undefined || first === 'help') return defaults('help', []);
  if (!['import', 'list', 'show', 'verify'].includes(first)) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const command = first as Command;

  const arity: Record<string, [number, number]> = { import: [0, 1], list: [0, 0], show: [1, 1], verify: [1, 1] };
  const [min, max] = arity[command] as [number, number];
  if (rest.length < min) throw new UsageError(`${command} needs an image ID or name`);
  if (rest.length > max) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(rest[max])}`);

  const importOnly = ['name', 'from-docker', 'property', 'visibility', 'wait', 'allow-unloadable', 'sahara-username', 'sahara-tag', 'verify-hash', 'verify-layers'];
  if (command !== 'import') for (const k of importOnly) if (v[k] !== undefined) throw new UsageError(`--${k} applies to import only`);
  const fromDocker = typeof v['from-docker'] === 'string' ? v['from-docker'] : null;
  if (fromDocker !== null && rest.length > 0) throw new UsageError('import: give either FILE (or -) or --from-docker, not both');

  const format = typeof v.format === 'string' ? v.format : 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got ${JSON.stringify(format)}`);
  const visibility = typeof v.visibility === 'string' ? v.visibility : null;
  if (visibility !== null && !VISIBILITIES.includes(visibility)) throw new UsageError(`--visibility must be one of ${VISIBILITIES.join(', ')}`);
  let stallTimeoutS = 120;
  if (typeof v['stall-timeout'] === 'string') {
    stallTimeoutS = Number(v['stall-timeout']);
    if (!Number.isFinite(stallTimeoutS) || stallTimeoutS <= 0 || stallTimeoutS > 86400) throw new UsageError('--stall-timeout must be a number of seconds between 0 and 86400');
  }
  const verifyHash = VERIFY_HASH[typeof v['verify-hash'] === 'string' ? v['verify-hash'] : 'md5'];
  if (verifyHash === undefined) throw new UsageError(`--verify-hash must be md5, sha512 or both, got ${JSON.stringify(v['verify-hash'])}`);
  const properties: Record<string, string> = {};
  for (const p of (v.property as string[] | undefined) ?? []) {
    try {
      const [key, value] = parsePropertyArg(p);
      properties[key] = value;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const saharaUsername = typeof v['sahara-username'] === 'string' ? v['sahara-username'] : null;
  const saharaTags = (v['sahara-tag'] as string[] | undefined) ?? [];
  // Checked here, not once credentials are in: a bad tag or too many properties is a usage mistake (exit 2) and needs no Keystone.
  let createWith: Record<string, string>;
  try {
    createWith = initialProperties({ user: properties, saharaUsername, saharaTags });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const name = typeof v.name === 'string' ? v.name : null;
  if (name !== null && (name.length === 0 || name.length > 255)) throw new UsageError('--name must have 1 to 255 characters');
  const credentials: CredentialSettings = {};
  for (const [flag, key] of Object.entries(OS_FLAGS)) if (typeof v[flag] === 'string') credentials[key] = v[flag];

  return {
    ...defaults(command, rest),
    name,
    fromDocker,
    properties,
    visibility,
    wait: v.wait === true,
    format,
    quiet: v.quiet === true,
    allowUnloadable: v['allow-unloadable'] === true,
    saharaUsername,
    saharaTags,
    initialProperties: createWith,
    stallTimeoutS,
    verifyHash,
    verifyLayers: v['verify-layers'] === true,
    cloud: typeof v['os-cloud'] === 'string' ? v['os-cloud'] : null,
    credentials,
  };
}

function defaults(command: Command, positionals: readonly string[]): CliArgs {
  return {
    command,
    positionals,
    name: null,
    fromDocker: null,
    properties: {},
    visibility: null,
    wait: false,
    format: 'table',
    quiet: false,
    allowUnloadable: false,
    saharaUsername: null,
    saharaTags: [],
    initialProperties: {},
    stallTimeoutS: 120,
    verifyHash: ['md5'],
    verifyLayers: false,
    cloud: null,
    credentials: {},
  };
}
