/**
 * What a streaming pass over a `docker save` archive learns: every entry's
 * type, size, link target, sha256 and leading bytes, plus the raw bytes of
 * the small files that look like JSON (manifest.json, index.json, configs,
 * OCI manifests). Raw, not parsed: parsed JSON costs ~20× its size in heap,
 * and only the few documents the manifest names are ever read
 * ({@link summarizeArchive} parses those, within a budget). Layer contents
 * are hashed and dropped, never kept.
 */

/** Compression of a file, from its first bytes (not from a media type, which may lie). */
export type Compression = 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'none';

export interface ArchiveEntry {
  /** Canonical path inside the archive. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'link';
  readonly size: number;
  /** Canonical archive path a link points at; null for files and directories. */
  readonly linkTarget: string | null;
  /** Hex sha256 of a file's bytes; null for other types, and for large files when the inspector skipped layer digests. */
  readonly sha256: string | null;
  readonly compression: Compression | null;
  /** The bytes of a small file that starts like JSON (`{` or `[`); null for everything else. */
  readonly text: Buffer | null;
}

export interface ArchiveContents {
  /** Entries by canonical path. */
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  /** The outer archive was gzip-compressed. */
  readonly gzipped: boolean;
  /** Bytes of the (uncompressed) tar stream. */
  readonly tarBytes: number;
}

/** Magic numbers of the compressions Docker meets in layers and archives. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  return 'none';
}
