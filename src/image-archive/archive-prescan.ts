/**
 * Reads the metadata of a plain-tar `docker save` archive that is a regular
 * file, before it is uploaded: tar headers are read where they are (seeking
 * over layer data), small files in full. It gives the same
 * {@link ArchiveContents} a streaming {@link ArchiveInspector} with
 * `verifyLayerDigests: false` would, in a few reads instead of a pass over
 * the whole file, so the import can create the Glance image with the
 * archive's properties and skip the PATCH after the upload.
 *
 * An optimisation only: anything unusual (gzip, a header it does not know, a
 * bound reached, a read error) answers null, and the streaming inspection of
 * the upload, which stays the authority, reports what is wrong. The file may
 * also change between the two reads; the caller compares.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { ArchiveContents, ArchiveEntry } from './archive-contents.js';
import { sniffCompression } from './archive-contents.js';
import { canonicalEntryPath, resolveLinkTarget } from './entry-path.js';

/** Bounds of a pre-scan: beyond them it gives up (null), it never fails. */
export interface PrescanLimits {
  /** Entries read; a docker save archive has a few per layer. */
  readonly maxEntries: number;
  /** Files up to this size are read whole (configs, manifests), as the inspector keeps them. */
  readonly maxSmallFileBytes: number;
  /** All small files and PAX/GNU name records together. */
  readonly maxSmallBytesTotal: number;
}

export const DEFAULT_PRESCAN_LIMITS: PrescanLimits = { maxEntries: 4096, maxSmallFileBytes: 1024 * 1024, maxSmallBytesTotal: 32 * 1024 * 1024 };

const BLOCK = 512;
const roundUp = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/** Why a pre-scan stopped; internal, turned into null. */
class GiveUp extends Error {}

function cString(b: Buffer, start: number, end: number): string {
  const field = b.subarray(start, end);
  const nul = field.indexOf(0);
  return (nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

/** A numeric header field: octal text, or GNU/star base-256 when the high bit is set. */
function numeric(b: Buffer, start: number, end: number): number {
  if ((b[start] as number) & 0x80) {
    let n = (b[start] as number) & 0x7f;
    for (let i = start + 1; i < end; i++) n = n * 256 + (b[i] as number);
    if (!Number.isSafeInteger(n)) throw new GiveUp('size out of range');
    return n;
  }
  const text = cString(b, start, end).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new GiveUp('not an octal number');
  return parseInt(text, 8);
}

function checksumMatches(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  return sum === numeric(h, 148, 156);
}

/** PAX extended header records ("<len> <key>=<value>\n"), the keys that matter here. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) throw new GiveUp('bad PAX record');
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new GiveUp('bad PAX record');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new GiveUp('bad PAX record');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new GiveUp('the file ends inside an entry');
    got += bytesRead;
  }
  return buf;
}

/**
 * The archive's contents as far as its metadata goes, or null when this file
 * cannot be pre-scanned (see the module comment).
 */
export async function prescanArchive(file: string, limits: PrescanLimits = DEFAULT_PRESCAN_LIMITS): Promise<ArchiveContents | null> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    return await walk(fh, limits);
  } catch {
    // GiveUp, a hostile name canonicalEntryPath refuses, a read error: the upload's inspection says what it is.
    return null;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function walk(fh: FileHandle, limits: PrescanLimits): Promise<ArchiveContents | null> {
  const { size: fileSize } = await fh.stat();
  const entries = new Map<string, ArchiveEntry>();
  let smallBytes = 0;
  let offset = 0;
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let longLink: string | null = null;
  const readSmall = async (at: number, n: number): Promise<Buffer> => {
    smallBytes += n;
    if (smallBytes > limits.maxSmallBytesTotal) throw new GiveUp('too much metadata');
    return readAt(fh, at, n);
  };
  for (let headers = 0; ; headers++) {
    if (headers > limits.maxEntries * 2) throw new GiveUp('too many headers');
    if (offset + BLOCK > fileSize) throw new GiveUp('no end-of-archive marker');
    const h = await readAt(fh, offset, BLOCK);
    if (offset === 0 && sniffCompression(h) !== 'none') return null;
    if (h.every((byte) => byte === 0)) {
      // tar-stream reads on past zero blocks; only a tail of zeros means the same archive to both.
      const rest = fileSize - offset - BLOCK;
      if (rest > 64 * 1024 || (rest > 0 && !(await readAt(fh, offset + BLOCK, rest)).every((byte) => byte === 0))) throw new GiveUp('data after the end-of-archive marker');
      break;
    }
    if (!checksumMatches(h)) throw new GiveUp('header checksum');
    // POSIX ustar or GNU; tar-stream refuses the old v7 headers.
    const magic = h.subarray(257, 263).toString('latin1');
    if (magic !== 'ustar\u0000' && magic !== 'ustar ') throw new GiveUp('not a ustar header');
    const flag = String.fromCharCode(h[156] as number);
    let size = numeric(h, 124, 136);
    const dataAt = offset + BLOCK;
    offset = dataAt + roundUp(size);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = await readSmall(dataAt, size);
      if (flag === 'x') pax = paxRecords(data);
      else if (flag === 'L') longName = cString(data, 0, data.length);
      else if (flag === 'K') longLink = cString(data, 0, data.length);
      continue;
    }
    const prefix = magic === 'ustar\u0000' ? cString(h, 345, 500) : '';
    const rawName = pax.get('path') ?? longName ?? (prefix === '' ? cString(h, 0, 100) : `${prefix}/${cString(h, 0, 100)}`);
    const rawLink = pax.get('linkpath') ?? longLink ?? cString(h, 157, 257);
    const paxSize = pax.get('size');
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize)) throw new GiveUp('bad PAX size');
      size = Number(paxSize);
      if (!Number.isSafeInteger(size)) throw new GiveUp('bad PAX size');
      offset = dataAt + roundUp(size);
    }
    pax = new Map();
    longName = null;
    longLink = null;
    if (entries.size >= limits.maxEntries) throw new GiveUp('too many entries');
    const path = canonicalEntryPath(rawName);
    // Where tar-stream reads these differently (no data after a directory; a file named "x/" is a directory).
    if ((flag === '5' && size !== 0) || (flag !== '5' && rawName.endsWith('/'))) throw new GiveUp('directory with data, or file named like a directory');
    if (flag === '5') {
      entries.set(path, { path, type: 'directory', size: 0, linkTarget: null, sha256: null, compression: null, text: null });
    } else if (flag === '1' || flag === '2') {
      const type = flag === '1' ? 'link' : 'symlink';
      entries.set(path, { path, type, size: 0, linkTarget: resolveLinkTarget(path, rawLink, type), sha256: null, compression: null, text: null });
    } else if (flag === '0' || flag === '\u0000' || flag === '7') {
      if (entries.has(path)) throw new GiveUp('duplicate entry');
      if (size <= limits.maxSmallFileBytes) {
        const data = await readSmall(dataAt, size);
        const jsonLike = data.length > 0 && (data[0] === 0x7b || data[0] === 0x5b);
        entries.set(path, {
          path,
          type: 'file',
          size,
          linkTarget: null,
          sha256: createHash('sha256').update(data).digest('hex'),
          compression: sniffCompression(data.subarray(0, 8)),
          text: jsonLike ? data : null,
        });
      } else {
        const head = await readAt(fh, dataAt, 8);
        entries.set(path, { path, type: 'file', size, linkTarget: null, sha256: null, compression: sniffCompression(head), text: null });
      }
    } else {
      throw new GiveUp(`entry type ${flag}`);
    }
  }
  if (entries.size === 0) return null;
  return { entries, gzipped: false, tarBytes: offset + 2 * BLOCK };
}
