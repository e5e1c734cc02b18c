import { describe, expect, it } from 'vitest';
import {
  authorizedKeysPath,
  defaultUser,
  findPasswdEntry,
  injectedFileEntries,
  keyEntries,
  mergeAuthorizedKeys,
} from '../../../../src/compute/translate/file-injection.js';

const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'cloud-user:x:1000:1000::/home/cloud-user/:/bin/bash', 'broken:x:abc:1::/home/b:/bin/sh', 'nohome:x:5:5::relative:/bin/sh', ''].join('\n');

describe('findPasswdEntry', () => {
  it.each([
    ['root', { name: 'root', uid: 0, gid: 0, home: '/root' }],
    ['cloud-user', { name: 'cloud-user', uid: 1000, gid: 1000, home: '/home/cloud-user/' }],
    ['missing', null],
    ['broken', null],
    ['nohome', null],
  ])('%s', (user, want) => {
    expect(findPasswdEntry(PASSWD, user)).toEqual(want);
  });
  it('root is known without a passwd file; other users are not', () => {
    expect(defaultUser('root')).toEqual({ name: 'root', uid: 0, gid: 0, home: '/root' });
    expect(defaultUser('ubuntu')).toBeNull();
  });
});

describe('mergeAuthorizedKeys', () => {
  const K1 = 'ssh-ed25519 AAAA1 one@x';
  const K2 = 'ssh-rsa AAAA2 two@x';
  it.each([
    [null, K1, `${K1}\n`],
    ['', K1, `${K1}\n`],
    [`${K2}\n`, K1, `${K2}\n${K1}\n`],
    [`${K1}\n`, K1, `${K1}\n`],
    [`# comment\r\n${K2}`, `${K1}\n${K2}\n`, `# comment\n${K2}\n${K1}\n`],
    [`${K2}\n\n\n`, `  ${K1}  `, `${K2}\n${K1}\n`],
  ])('existing %j + %j', (existing, key, want) => {
    expect(mergeAuthorizedKeys(existing, key)).toBe(want);
  });
});

describe('tar entries', () => {
  const now = new Date(0);
  it('key: ~/.ssh 0700 and authorized_keys 0600 owned by the user, relative paths', () => {
    const user = { name: 'cloud-user', uid: 1000, gid: 1001, home: '/home/cloud-user' };
    expect(authorizedKeysPath(user)).toBe('/home/cloud-user/.ssh/authorized_keys');
    expect(keyEntries(user, 'k\n', now)).toEqual([
      { path: 'home/cloud-user/.ssh', type: 'directory', mode: 0o700, uid: 1000, gid: 1001, mtime: now },
      { path: 'home/cloud-user/.ssh/authorized_keys', type: 'file', content: Buffer.from('k\n'), mode: 0o600, uid: 1000, gid: 1001, mtime: now },
    ]);
  });
  it('injected files: root-owned 0644, relative to /', () => {
    expect(injectedFileEntries([{ path: '/etc/motd', content: Buffer.from('hi') }], now)).toEqual([
      { path: 'etc/motd', type: 'file', content: Buffer.from('hi'), mode: 0o644, uid: 0, gid: 0, mtime: now },
    ]);
  });
  it.each(['/', '/a/../../b', '/a//b'])('refuses a non-normalized path %j', (p) => {
    expect(() => injectedFileEntries([{ path: p, content: Buffer.alloc(0) }], now)).toThrow(/not a normalized absolute file path/);
  });
});
