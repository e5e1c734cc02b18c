/**
 * A Writable that inspects a `docker save` archive while it streams past on
 * its way somewhere else (to Glance, or into `docker load`): one pass, bounded
 * memory, no staging file.
 *
 * It unwraps an outer gzip, walks the tar with tar-stream, refuses hostile
 * entries as soon as their header arrives (absolute paths, "..", links out of
 * the archive, device files, more entries than anyone needs), hashes every file
 * with sha256 and keeps only the raw bytes of small JSON documents. When the stream ends it
 * checks that the tar ended properly and that the metadata names only files
 * that arrived ({@link summarizeArchive}). Every failure is ERR_INVALID_IMAGE
 * and destroys the inspector, which the tee feeding it turns into the failure
 * of the whole transfer.
 */
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import tar from 'tar-stream';
import { BridgeError } from '../errors/bridge-error.js';
import { type ArchiveContents, type ArchiveEntry, type Compression, sniffCompression } from './archive-contents.js';
import { summarizeArchive, type ArchiveSummary } from './archive-manifest.js';
import { canonicalEntryPath, resolveLinkTarget } from './entry-path.js';

/** Bounds that keep a hostile archive from costing memory. */
export interface InspectorLimits {
  /** Entries (files, directories, links) accepted. */
  readonly maxEntries: number;
  /** A file larger than this is not kept as JSON metadata (a config or manifest never is). */
  readonly maxJsonFileBytes: number;
  /** All kept JSON together, as raw bytes (parsing happens later, for the documents the manifest names). */
  readonly maxJsonTotalBytes: number;
  /** All entry names and link targets kept, in characters (each is at most 4096). */
  readonly maxPathCharsTotal: number;
  /**
   * Tar bytes accepted after the end of the last entry without another entry
   * starting: zero blocks, which tar parsers skip. Docker writes two (1 KiB),
   * GNU tar pads to its 10 KiB record; megabytes of them are a decompression
   * bomb appended to a valid archive, not a docker save archive.
   */
  readonly maxTrailingBytes: number;
}

/** How thoroughly {@link ArchiveInspector} checks what passes. */
export interface InspectorOptions extends Partial<InspectorLimits> {
  /**
   * Hash every file, layers included, so layers are checked against the
   * config's `rootfs.diff_ids` and OCI blobs against their names (default
   * true). False hashes only the small files (configs, manifests; the image
   * ID is still the config's sha256): for a caller that verifies the whole
   * stream against a recorded hash and hands it to `docker load`, which checks
   * every layer against its diff_id itself. Saves ~1 CPU-s per GiB.
   */
  readonly verifyLayerDigests?: boolean;
}

export const DEFAULT_INSPECTOR_LIMITS: InspectorLimits = {
  maxEntries: 100_000,
  maxJsonFileBytes: 1024 * 1024,
  maxJsonTotalBytes: 32 * 1024 * 1024,
  maxPathCharsTotal: 16 * 1024 * 1024,
  // Beyond the 4 MiB PAX header tar-stream accepts, and the parser's lag behind what was fed.
  maxTrailingBytes: 8 * 1024 * 1024,
};

/** tar-stream's header, the fields used here. */
interface TarHeader {
  name: string;
  type: string | null;
  size?: number;
  linkname?: string | null;
  byteOffset?: number;
}

/** tar-stream's entry stream (a streamx Readable), the parts used here. */
interface EntryStream {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  resume(): unknown;
}

const BLOCK = 512;
const roundUp = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

function invalid(message: string, cause?: unknown): BridgeError {
  return new BridgeError('ERR_INVALID_IMAGE', message, cause === undefined ? {} : { cause });
}

export class ArchiveInspector extends Writable {
  /** Resolves with the summary once the whole archive passed and checked out; rejects with ERR_INVALID_IMAGE. */
  readonly summary: Promise<ArchiveSummary>;

  private readonly limits: InspectorLimits;
  private readonly verifyLayerDigests: boolean;
  private readonly extract = tar.extract();
  private gunzip: Gunzip | null = null;
  private started = false;
  /** The archive's first bytes, held until there are enough to tell gzip from tar. */
  private lead: Buffer[] = [];
  private leadBytes = 0;
  private gzipped = false;
  /** Set once the input ended: parse errors from then on mean the archive was cut short. */
  private ending = false;
  private readonly entries = new Map<string, ArchiveEntry>();
  private jsonBytes = 0;
  private pathChars = 0;
  /** Bytes handed to the tar parser (after gunzip). */
  private tarBytes = 0;
  /** Where the data of the entry seen last ends in the tar stream (padded to a block). */
  private lastEntryEnd = 0;
  private headersSeen = 0;
  private extractDone: Promise<void>;
  private resolveSummary!: (s: ArchiveSummary) => void;
  private rejectSummary!: (e: unknown) => void;

  constructor(options: InspectorOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
    const { verifyLayerDigests = true, ...limits } = options;
    this.limits = { ...DEFAULT_INSPECTOR_LIMITS, ...limits };
    this.verifyLayerDigests = verifyLayerDigests;
    this.summary = new Promise<ArchiveSummary>((resolve, reject) => {
      this.resolveSummary = resolve;
      this.rejectSummary = reject;
    });
    // Callers may only look at `summary` after the transfer; an early rejection must not be "unhandled".
    this.summary.catch(() => undefined);
    this.extractDone = new Promise<void>((resolve, reject) => {
      this.extract.on('finish', () => resolve());
      this.extract.on('error', (err: Error) => reject(err));
    });
    this.extractDone.catch(() => undefined);
    this.extract.on('entry', (header, stream, next) => this.onEntry(header as TarHeader, stream as unknown as EntryStream, next));
    this.extract.on('error', (err: Error) => this.fail(this.tarError(err)));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.started) {
      // A network read may hand over a single byte first; the gzip magic is two.
      this.lead.push(chunk);
      this.leadBytes += chunk.length;
      if (this.leadBytes < 2) {
        cb();
        return;
      }
      this.begin(cb);
      return;
    }
    this.forward(chunk, cb);
  }

  /** Decides gzip or plain tar from the bytes held so far and passes them on. */
  private begin(cb: (err?: Error | null) => void): void {
    this.started = true;
    const head = Buffer.concat(this.lead);
    this.lead = [];
    // Docker loads gzip-compressed archives; Glance stores the bytes as given.
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      this.gzipped = true;
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      this.gunzip = gunzip;
      gunzip.on('data', (c: Buffer) => {
        if (!this.feedTar(c)) {
          gunzip.pause();
          this.extract.once('drain', () => gunzip.resume());
        }
      });
      gunzip.on('error', (err) =>
        this.fail(
          invalid(
            this.ending ? `the archive is truncated: the gzip stream ends early (${err.message})` : `the archive is gzip-compressed but does not decompress: ${err.message}`,
            err,
          ),
        ),
      );
    }
    this.forward(head, cb);
  }

  private forward(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.gunzip !== null) {
      if (this.gunzip.write(chunk)) cb();
      else this.gunzip.once('drain', () => cb());
      return;
    }
    if (this.feedTar(chunk)) cb();
    else this.extract.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    void this.finish().then(
      (summary) => {
        this.resolveSummary(summary);
        cb();
      },
      (err: unknown) => {
        const e = err instanceof BridgeError ? err : invalid(String(err), err);
        this.rejectSummary(e);
        cb(e);
      },
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.rejectSummary(err ?? new BridgeError('ERR_ABORTED', 'archive inspection was stopped before the archive ended'));
    this.gunzip?.destroy();
    this.extract.destroy();
    cb(err);
  }

  private async finish(): Promise<ArchiveSummary> {
    if (!this.started && this.leadBytes > 0) await new Promise<void>((resolve) => this.begin(() => resolve()));
    if (!this.started) throw invalid('the input is empty (0 bytes): not a docker save archive');
    this.ending = true;
    if (this.gunzip !== null) {
      const gz = this.gunzip;
      await new Promise<void>((resolve, reject) => {
        gz.once('end', resolve);
        gz.once('error', reject);
        gz.end();
      }).catch((err: Error) => {
        throw invalid(`the archive is truncated: the gzip stream ends early (${err.message})`, err);
      });
    }
    // streamx's end() takes an optional last chunk; none here.
    this.extract.end(undefined);
    try {
      await this.extractDone;
    } catch (err) {
      throw this.tarError(err as Error);
    }
    if (this.entries.size === 0) throw invalid('the input holds no tar entries: not a docker save archive');
    // Go's archive/tar (docker save), GNU tar and tar-stream all end with two zero blocks.
    if (this.tarBytes - this.lastEntryEnd < 2 * BLOCK) throw invalid('the archive is truncated: it ends without the tar end-of-archive marker');
    const contents: ArchiveContents = { entries: this.entries, gzipped: this.gzipped, tarBytes: this.tarBytes };
    return summarizeArchive(contents);
  }

  private feedTar(chunk: Buffer): boolean {
    this.tarBytes += chunk.length;
    // The parser runs at most a chunk and its small buffer behind tarBytes, so a gap this large
    // means blocks tar-stream skips (zeros) after the last entry: stop before inflating more of them.
    if (this.tarBytes - this.lastEntryEnd > this.limits.maxTrailingBytes + chunk.length + 64 * 1024) {
      this.fail(
        invalid(
          `the archive goes on for more than ${this.limits.maxTrailingBytes / (1024 * 1024)} MiB of empty tar blocks after its ${this.headersSeen === 0 ? 'start' : 'last entry'}: not a docker save archive (a decompression bomb or a padded device image)`,
        ),
      );
      return true;
    }
    return this.extract.write(chunk);
  }

  /**
   * tar-stream's parse errors: the stream is not a tar, is cut short, or has a
   * header beyond its 4 MiB cap. Which one is decided from where the parser
   * was (inside an entry's data, or without a whole header left), not from
   * tar-stream's message, which is only passed on.
   */
  private tarError(err: Error): BridgeError {
    if (err instanceof BridgeError) return err;
    if (this.headersSeen === 0) {
      return this.tarBytes < BLOCK
        ? invalid(`the input (${this.tarBytes} bytes) is too short to be a tar archive: not a docker save archive`, err)
        : invalid(`the data is not a valid tar archive (a docker save archive is a tar, optionally gzip-compressed): ${err.message}`, err);
    }
    if (this.tarBytes < this.lastEntryEnd || (this.ending && this.tarBytes - this.lastEntryEnd < BLOCK)) {
      return invalid(`the archive is truncated: it ends in the middle of an entry (${err.message})`, err);
    }
    return invalid(`the data is not a valid tar archive: ${err.message}`, err);
  }

  private fail(err: BridgeError): void {
    if (!this.destroyed) this.destroy(err);
  }

  private onEntry(header: TarHeader, stream: EntryStream, next: (err?: Error) => void): void {
    // tar-stream destroys the current entry's stream with its own error; that error is reported via the extractor.
    stream.on('error', () => undefined);
    this.headersSeen++;
    let path: string;
    let type: ArchiveEntry['type'];
    let linkTarget: string | null = null;
    const size = header.size ?? 0;
    try {
      path = canonicalEntryPath(header.name);
      switch (header.type) {
        case 'file':
        case 'contiguous-file':
          type = 'file';
          break;
        case 'directory':
          type = 'directory';
          break;
        case 'symlink':
        case 'link':
          type = header.type;
          linkTarget = resolveLinkTarget(path, header.linkname ?? '', header.type);
          break;
        default:
          throw invalid(`archive entry ${JSON.stringify(path)} is a ${header.type ?? 'unknown'} entry; a docker save archive holds only files, directories and links`);
      }
      if (this.entries.size >= this.limits.maxEntries) throw invalid(`the archive has more than ${this.limits.maxEntries} entries`);
      this.pathChars += path.length + (linkTarget?.length ?? 0);
      if (this.pathChars > this.limits.maxPathCharsTotal) {
        throw invalid(`the archive's entry names and link targets add up to more than ${this.limits.maxPathCharsTotal / (1024 * 1024)} Mi characters; a docker save archive has a few entries per layer`);
      }
      const prev = this.entries.get(path);
      if (prev !== undefined && !(prev.type === 'directory' && type === 'directory')) throw invalid(`archive entry ${JSON.stringify(path)} appears twice`);
    } catch (err) {
      this.fail(err as BridgeError);
      return;
    }
    if (header.byteOffset !== undefined) this.lastEntryEnd = header.byteOffset + roundUp(size);

    if (type !== 'file') {
      this.entries.set(path, { path, type, size: 0, linkTarget, sha256: null, compression: null, text: null });
      stream.on('end', () => next());
      stream.resume();
      return;
    }

    const small = size <= this.limits.maxJsonFileBytes;
    const hash: Hash | null = small || this.verifyLayerDigests ? createHash('sha256') : null;
    // The magic numbers sniffed below are up to 6 bytes; a chunk may be shorter.
    let head = Buffer.alloc(0);
    let collect: Buffer[] | null = small ? [] : null;
    stream.on('data', (chunk: Buffer) => {
      if (chunk.length === 0) return;
      hash?.update(chunk);
      if (head.length === 0) {
        // Only what looks like JSON is kept; layers are hashed and dropped.
        if (collect !== null && chunk[0] !== 0x7b && chunk[0] !== 0x5b) collect = null;
      }
      if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
      if (collect !== null) {
        this.jsonBytes += chunk.length;
        if (this.jsonBytes > this.limits.maxJsonTotalBytes) {
          this.fail(invalid(`the archive holds more than ${this.limits.maxJsonTotalBytes / (1024 * 1024)} MiB of JSON metadata; a docker save archive needs a few MiB at most`));
          return;
        }
        collect.push(chunk);
      }
    });
    stream.on('end', () => {
      if (this.destroyed) return;
      const text = collect !== null && collect.length > 0 ? Buffer.concat(collect) : null;
      const compression: Compression = sniffCompression(head);
      this.entries.set(path, { path, type: 'file', size, linkTarget: null, sha256: hash === null ? null : hash.digest('hex'), compression, text });
      next();
    });
  }
}
