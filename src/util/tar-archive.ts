/**
 * Small in-memory tar archives: the Docker archive API takes and returns tar
 * streams, and the files we put into containers (keys, injected files) are tiny.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';

/** One entry to write. Paths are relative to the extraction directory (no leading "/"). */
export interface TarEntry {
  readonly path: string;
  readonly type: 'file' | 'directory';
  /** File content; ignored for directories. */
  readonly content?: Buffer;
  /** Permission bits, e.g. 0o600. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Modification time; defaults to now. */
  readonly mtime?: Date;
}

/** Packs `entries` (in order) into one tar buffer. */
export async function packTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    const header = {
      name: e.type === 'directory' ? `${e.path.replace(/\/+$/, '')}/` : e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(),
    } as const;
    await new Promise<void>((resolve, reject) => {
      if (e.type === 'directory') pack.entry(header, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, e.content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  return done;
}

/** Result of {@link readSingleFile}. */
export interface ExtractedFile {
  readonly name: string;
  readonly content: Buffer;
  /** True when the file was longer than `maxBytes` and `content` holds only its start. */
  readonly truncated: boolean;
}

/**
 * Reads the file a tar stream holds (Docker's GET /archive of one path: a
 * single entry named after it), keeping at most `maxBytes`. Returns null when
 * the first entry is not a regular file (the path was a directory, a symlink…).
 */
export async function readSingleFile(stream: NodeJS.ReadableStream | Readable, maxBytes: number): Promise<ExtractedFile | null> {
  const extract = tar.extract();
  let found: ExtractedFile | null = null;
  let first = true;
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const wanted = first && header.type === 'file';
      first = false;
      if (!wanted) {
        body.on('end', next);
        body.resume();
        return;
      }
      const kept = new Array<Buffer>();
      let size = 0;
      let truncated = false;
      body.on('data', (chunk: unknown) => {
        const c = chunk as Buffer;
        const room = maxBytes - size;
        if (c.length > room) truncated = true;
        if (room <= 0) return;
        const piece = c.length > room ? c.subarray(0, room) : c;
        kept.push(piece);
        size += piece.length;
      });
      body.on('end', () => {
        found = { name: header.name, content: Buffer.concat(kept), truncated };
        next();
      });
      body.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (stream as Readable).on('error', (err: Error) => extract.destroy(err));
  (stream as Readable).pipe(extract);
  await finished;
  return found;
}
