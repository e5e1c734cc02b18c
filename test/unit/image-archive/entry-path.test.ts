import { describe, expect, it } from 'vitest';
import { canonicalEntryPath, manifestPath, resolveLinkTarget } from '../../../src/image-archive/entry-path.js';
import { familiarReference } from '../../../src/image-archive/archive-manifest.js';
import { sniffCompression } from '../../../src/image-archive/archive-contents.js';

describe('canonicalEntryPath', () => {
  it.each([
    ['manifest.json', 'manifest.json'],
    ['./manifest.json', 'manifest.json'],
    ['abc//layer.tar', 'abc/layer.tar'],
    ['abc/', 'abc'],
    ['blobs/sha256/./x', 'blobs/sha256/x'],
  ])('%s → %s', (a, b) => expect(canonicalEntryPath(a)).toBe(b));

  it.each([
    ['/etc/passwd', /absolute path/],
    ['../x', /climbs out/],
    ['a/../b', /climbs out/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['./', /empty path/],
    ['x'.repeat(5000), /longer than 4096/],
  ])('%j is refused', (name, re) => {
    expect(() => canonicalEntryPath(name)).toThrow(re);
  });
});

describe('resolveLinkTarget', () => {
  it.each([
    ['b/layer.tar', '../a/layer.tar', 'symlink', 'a/layer.tar'],
    ['b/layer.tar', 'other.tar', 'symlink', 'b/other.tar'],
    ['x', 'a/layer.tar', 'link', 'a/layer.tar'],
  ] as const)('%s -> %s (%s) = %s', (entry, target, kind, out) => {
    expect(resolveLinkTarget(entry, target, kind)).toBe(out);
  });

  it.each([
    ['b/layer.tar', '../../etc/passwd', 'symlink', /outside the archive/],
    ['b', '/etc/passwd', 'symlink', /absolute path/],
    ['b', '', 'symlink', /empty target/],
    ['b/c', '..', 'symlink', /archive root/],
  ] as const)('%s -> %s refused', (entry, target, kind, re) => {
    expect(() => resolveLinkTarget(entry, target, kind)).toThrow(re);
  });

  it('names manifest fields', () => {
    expect(() => manifestPath('/abs', 'manifest.json[0].Config')).toThrow(/^manifest\.json manifest\.json\[0\]\.Config has an absolute path/);
  });
});

describe('misc', () => {
  it.each([
    ['docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/me/app:1', 'me/app:1'],
    ['registry:5000/app:1', 'registry:5000/app:1'],
  ])('familiarReference(%s) = %s', (a, b) => expect(familiarReference(a)).toBe(b));

  it.each([
    [[0x1f, 0x8b, 8], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x42, 0x5a, 0x68], 'bzip2'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
    [[0x61, 0x62], 'none'],
    [[], 'none'],
  ])('sniffCompression(%j) = %s', (bytes, c) => expect(sniffCompression(Buffer.from(bytes))).toBe(c));
});
