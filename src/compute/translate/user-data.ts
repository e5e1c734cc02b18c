/**
 * Nova user data → the scripts a container runs after its first start: what
 * cloud-init does in a VM, which containers do not have. Sahara depends on it:
 * its cluster key reaches instances only through user data, and so does the
 * Heat wait-condition notification every Sahara 16 cluster waits for.
 *
 * Understood, as cloud-init would run them:
 * - a script (`#!…`), Heat's RAW format;
 * - a MIME multipart (Heat's default HEAT_CFNTOOLS format, nested multiparts
 *   too): `text/x-shellscript` parts run in order; `text/x-cfninitdata` parts
 *   are written to /var/lib/heat-cfntools/<filename>, where Heat's own part
 *   handler would put them, and `cfn-userdata` (the template's user data) runs.
 *   Heat's `loguserdata.py`, which only runs cfn-userdata and needs Python,
 *   is left out when cfn-userdata is there;
 * - either of them gzip-compressed.
 * Everything else (cloud-config, boothooks, part handlers, includes) is not
 * run, and each skipped part is named in a note, never an error: a VM whose
 * cloud-init does not understand a part boots all the same.
 */
import { gunzipSync } from 'node:zlib';

/** Where the scripts are placed (created by the file archive, so it exists before anything runs). */
export const USER_DATA_DIR = '/var/lib/nova-docker-bridge/user-data';
/** The scripts' stdout and stderr, appended (cloud-init's cloud-init-output.log). */
export const USER_DATA_LOG = `${USER_DATA_DIR}/output.log`;
/** Heat's part handler writes `text/x-cfninitdata` parts here; cfn tools read them there. */
export const HEAT_CFNTOOLS_DIR = '/var/lib/heat-cfntools';

/** Largest user data after gunzip; Nova's own limit is 64 KiB before it. */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;
const MAX_PARTS = 64;
const MAX_DEPTH = 4;

/** A file placed in the container before its first start. */
export interface UserDataFile {
  /** Absolute path in the container. */
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/** What the user data asks the container to do. */
export interface UserDataPlan {
  /** Files to place before the first start: the scripts and Heat's cfn data files. */
  readonly files: readonly UserDataFile[];
  /** Container paths of the scripts to run as root after start, in order. */
  readonly scripts: readonly string[];
  /** Parts not run, and why: for the log, as warnings. */
  readonly notes: readonly string[];
  /** Heat's own helper parts beside cfn-userdata, not needed here: for the log, as information. */
  readonly routine: readonly string[];
}

const EMPTY: UserDataPlan = { files: [], scripts: [], notes: [], routine: [] };

/** What Heat's HEAT_CFNTOOLS format puts beside cfn-userdata for cloud-init's sake. */
const HEAT_HELPER_PARTS = new Set(['cloud-config', 'boothook.sh', 'part-handler.py', 'loguserdata.py']);

interface MimePart {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly filename: string | null;
  readonly body: Buffer;
}

/** Plans the user data (Nova's base64 `user_data`, already validated as base64; null: none). */
export function planUserData(userDataBase64: string | null): UserDataPlan {
  if (userDataBase64 === null || userDataBase64 === '') return EMPTY;
  let data = Buffer.from(userDataBase64, 'base64');
  if (isGzip(data)) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      return { ...EMPTY, notes: [`user data not run: it looks gzip-compressed but does not inflate (${(err as Error).message}; at most ${MAX_INFLATED_BYTES / (1024 * 1024)} MiB)`] };
    }
  }
  const parts: MimePart[] = [];
  const notes: string[] = [];
  if (isMime(data)) collectParts(parseEntity(data), parts, notes, 0);
  else parts.push({ type: sniffType(data), params: new Map(), filename: null, body: data });
  return planParts(parts, notes);
}

function planParts(parts: readonly MimePart[], notes: string[]): UserDataPlan {
  const files: UserDataFile[] = [];
  const scripts: string[] = [];
  const hasCfnUserdata = parts.some((p) => p.type === 'text/x-cfninitdata' && p.filename === 'cfn-userdata');
  const routine: string[] = [];
  let n = 0;
  const addScript = (body: Buffer): void => {
    const path = `${USER_DATA_DIR}/part-${String(++n).padStart(3, '0')}`;
    files.push({ path, content: body, mode: 0o700 });
    scripts.push(path);
  };
  for (const p of parts) {
    const what = p.filename === null ? p.type : `${p.type} part ${JSON.stringify(p.filename)}`;
    if (hasCfnUserdata && p.filename !== null && HEAT_HELPER_PARTS.has(p.filename) && p.type !== 'text/x-cfninitdata') {
      routine.push(`user data: Heat's ${what} not run: cfn-userdata runs directly`);
      continue;
    }
    switch (p.type) {
      case 'text/x-shellscript':
        addScript(p.body);
        break;
      case 'text/x-cfninitdata': {
        if (p.filename === null || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(p.filename)) {
          notes.push(`user data: ${what} not written: it needs a plain file name (letters, digits, . _ -)`);
          break;
        }
        // Heat's cfn data can hold credentials (the wait-condition URL's token): root only.
        files.push({ path: `${HEAT_CFNTOOLS_DIR}/${p.filename}`, content: p.body, mode: 0o600 });
        if (p.filename === 'cfn-userdata') addScript(p.body);
        break;
      }
      case 'text/cloud-config':
      case 'text/cloud-config-archive':
      case 'text/cloud-boothook':
      case 'text/part-handler':
      case 'text/x-include-url':
      case 'text/x-include-once-url':
      case 'text/upstart-job':
      case 'text/jinja2':
        notes.push(`user data: ${what} not run: only scripts run in containers (cloud-init formats are not understood)`);
        break;
      default:
        notes.push(`user data: ${what} not run: not a script`);
    }
  }
  return { files, scripts, notes, routine };
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function isMime(b: Buffer): boolean {
  return /^(content-type|mime-version)\s*:/i.test(b.subarray(0, 64).toString('latin1'));
}

/** cloud-init's start-of-file markers for undeclared user data. */
function sniffType(b: Buffer): string {
  const head = b.subarray(0, 32).toString('latin1');
  if (head.startsWith('#!')) return 'text/x-shellscript';
  if (head.startsWith('#cloud-config')) return 'text/cloud-config';
  if (head.startsWith('#cloud-boothook')) return 'text/cloud-boothook';
  if (head.startsWith('#part-handler')) return 'text/part-handler';
  if (head.startsWith('#include')) return 'text/x-include-url';
  if (head.startsWith('#upstart-job')) return 'text/upstart-job';
  if (head.startsWith('## template: jinja')) return 'text/jinja2';
  return 'text/plain';
}

function collectParts(part: MimePart, out: MimePart[], notes: string[], depth: number): void {
  if (!part.type.startsWith('multipart/')) {
    if (out.length >= MAX_PARTS) {
      if (out.length === MAX_PARTS) notes.push(`user data: parts after the first ${MAX_PARTS} not run`);
      return;
    }
    // A part declared text/plain is sniffed as cloud-init does (`#!` in a text/plain part is a script).
    out.push(part.type === 'text/plain' ? { ...part, type: sniffType(part.body) } : part);
    return;
  }
  const boundary = part.params.get('boundary');
  if (boundary === undefined || boundary === '') {
    notes.push(`user data: a ${part.type} without a boundary not run`);
    return;
  }
  if (depth >= MAX_DEPTH) {
    notes.push(`user data: multiparts nested deeper than ${MAX_DEPTH} not run`);
    return;
  }
  for (const body of splitMultipart(part.body, boundary)) collectParts(parseEntity(body), out, notes, depth + 1);
}

/** Splits a multipart body at its boundary lines (RFC 2046 §5.1.1), preamble and epilogue dropped. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let current: string[] | null = null;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.replace(/[ \t]+$/, '');
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current !== null) parts.push(Buffer.from(current.join('\n'), 'latin1'));
      if (trimmed !== delimiter) return parts;
      current = [];
    } else if (current !== null) {
      current.push(line);
    }
  }
  // No closing delimiter: what was read still counts, as Python's email parser keeps it.
  if (current !== null) parts.push(Buffer.from(current.join('\n'), 'latin1'));
  return parts;
}

/** Parses one MIME entity: headers (folded lines joined), a blank line, the decoded body. */
function parseEntity(raw: Buffer): MimePart {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const headerText = m === null ? text : text.slice(0, m.index);
  const bodyText = m === null ? '' : text.slice(m.index + m[0].length);
  const headers = new Map<string, string>();
  for (const line of headerText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const [type, params] = parseHeaderValue(headers.get('content-type') ?? 'text/plain');
  const disposition = headers.get('content-disposition');
  const filename = disposition === undefined ? (params.get('name') ?? null) : (parseHeaderValue(disposition)[1].get('filename') ?? params.get('name') ?? null);
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  return { type, params, filename, body: decodeBody(bodyText, encoding) };
}

function decodeBody(text: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    return Buffer.from(text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return Buffer.from(text, 'latin1');
}

/** `type/subtype; a=b; c="d"` → lower-cased type and its parameters (names lower-cased). */
function parseHeaderValue(value: string): [string, Map<string, string>] {
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  for (const m of value.slice(Math.max(semi, 0)).matchAll(re)) {
    const name = (m[1] ?? '').toLowerCase();
    const v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[2] ?? '').trim();
    params.set(name, v);
  }
  return [type, params];
}
