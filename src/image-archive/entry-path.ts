/**
 * Names inside a `docker save` archive. Docker writes plain relative paths
 * ("<id>/layer.tar", "blobs/sha256/<hex>", "manifest.json"); anything that
 * could point outside the extraction directory when some tool unpacks the
 * archive (absolute paths, "..", NUL, backslashes) is hostile and refused.
 */
import { BridgeError } from '../errors/bridge-error.js';

/** Longest entry path accepted (PATH_MAX). */
export const MAX_ENTRY_PATH = 4096;

function hostile(message: string, name: string): BridgeError {
  return new BridgeError('ERR_INVALID_IMAGE', `${message}: ${JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name)}`, {
    details: { entry: name.slice(0, 1000) },
  });
}

/**
 * The canonical form of an entry name ("./a//b/" → "a/b"), or ERR_INVALID_IMAGE
 * when the name is absolute, climbs with "..", or contains NUL or backslashes.
 */
export function canonicalEntryPath(name: string): string {
  if (name.length > MAX_ENTRY_PATH) throw hostile(`archive entry name longer than ${MAX_ENTRY_PATH} characters`, name);
  if (name.includes('\0')) throw hostile('archive entry name contains a NUL byte', name);
  if (name.includes('\\')) throw hostile('archive entry name contains a backslash', name);
  if (name.startsWith('/')) throw hostile('archive entry has an absolute path', name);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw hostile('archive entry path climbs out of the archive with ".."', name);
    parts.push(part);
  }
  if (parts.length === 0) throw hostile('archive entry has an empty path', name);
  return parts.join('/');
}

/**
 * Where a link entry points, as a canonical archive path. Symlink targets are
 * relative to the link's directory, hard-link targets to the archive root; a
 * target outside the archive or absolute is ERR_INVALID_IMAGE.
 */
export function resolveLinkTarget(entryPath: string, target: string, kind: 'symlink' | 'link'): string {
  if (target === '') throw hostile('archive link entry has an empty target', entryPath);
  // A PAX or GNU long-link header can carry megabytes; every target is kept until the archive ends.
  if (target.length > MAX_ENTRY_PATH) throw hostile(`archive link target longer than ${MAX_ENTRY_PATH} characters`, `${entryPath} -> ${target}`);
  if (target.includes('\0') || target.includes('\\')) throw hostile('archive link target contains NUL or a backslash', `${entryPath} -> ${target}`);
  if (target.startsWith('/')) throw hostile('archive link points to an absolute path', `${entryPath} -> ${target}`);
  const base = kind === 'symlink' ? entryPath.split('/').slice(0, -1) : [];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (base.length === 0) throw hostile('archive link points outside the archive', `${entryPath} -> ${target}`);
      base.pop();
    } else {
      base.push(part);
    }
  }
  if (base.length === 0) throw hostile('archive link points at the archive root', `${entryPath} -> ${target}`);
  return base.join('/');
}

/**
 * A path named in manifest.json (Config, Layers) as an archive path: relative
 * to the archive root, no "..", not absolute.
 */
export function manifestPath(ref: string, field: string): string {
  try {
    return canonicalEntryPath(ref);
  } catch (err) {
    throw new BridgeError('ERR_INVALID_IMAGE', `manifest.json ${field} ${(err as Error).message.replace(/^archive entry /, '')}`, { cause: err });
  }
}
