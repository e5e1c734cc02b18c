/**
 * What goes into the container's filesystem before its first start: the
 * instance key (appended to the configured user's authorized_keys) and Nova's
 * injected files. Everything is built as tar entries for one putArchive at "/".
 *
 * Only the directories we must create (~/.ssh) are archive entries: Docker's
 * extraction would otherwise reset the mode and owner of existing parents such
 * as /root or /home/<user>; missing parents are created by Docker (0755, root).
 */
import { posix } from 'node:path';
import { BridgeError } from '../../errors/bridge-error.js';
import type { TarEntry } from '../../util/tar-archive.js';
import type { InjectedFile } from '../payloads.js';

/** A user from the image's /etc/passwd. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Finds `user` in /etc/passwd text; null when absent. */
export function findPasswdEntry(passwd: string, user: string): PasswdEntry | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] !== user) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    const home = f[5] as string;
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || !home.startsWith('/')) return null;
    return { name: user, uid, gid, home: posix.normalize(home) };
  }
  return null;
}

/** The user to inject for when the image has no /etc/passwd entry for it. */
export function defaultUser(user: string): PasswdEntry | null {
  return user === 'root' ? { name: 'root', uid: 0, gid: 0, home: '/root' } : null;
}

/**
 * authorized_keys after adding `keyData`: existing lines are kept, keys already
 * present are not added twice, and the file ends with a newline.
 */
export function mergeAuthorizedKeys(existing: string | null, keyData: string): string {
  const lines = (existing ?? '').split('\n').map((l) => l.replace(/\r$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const key of keyData.split('\n').map((k) => k.trim()).filter((k) => k !== '')) {
    if (!lines.some((l) => l.trim() === key)) lines.push(key);
  }
  return `${lines.join('\n')}\n`;
}

export function authorizedKeysPath(user: PasswdEntry): string {
  return posix.join(user.home, '.ssh', 'authorized_keys');
}

/** Tar entries for ~/.ssh (0700) and authorized_keys (0600), owned by the user. */
export function keyEntries(user: PasswdEntry, content: string, now: Date): TarEntry[] {
  const sshDir = posix.join(user.home, '.ssh').replace(/^\/+/, '');
  return [
    { path: sshDir, type: 'directory', mode: 0o700, uid: user.uid, gid: user.gid, mtime: now },
    { path: `${sshDir}/authorized_keys`, type: 'file', content: Buffer.from(content, 'utf8'), mode: 0o600, uid: user.uid, gid: user.gid, mtime: now },
  ];
}

/** Tar entries for Nova's injected files (root-owned, 0644). Paths were validated as absolute and normalized. */
export function injectedFileEntries(files: readonly InjectedFile[], now: Date): TarEntry[] {
  return files.map((f) => {
    const rel = f.path.replace(/^\/+/, '');
    if (rel === '' || posix.normalize(rel) !== rel || rel.startsWith('..')) {
      throw new BridgeError('ERR_INVALID_ARGUMENT', `injected_files path ${JSON.stringify(f.path)} is not a normalized absolute file path`, { details: { field: 'injected_files' } });
    }
    return { path: rel, type: 'file' as const, content: f.content, mode: 0o644, uid: 0, gid: 0, mtime: now };
  });
}
