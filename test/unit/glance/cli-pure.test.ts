import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../../glance/cli/parse-args.js';
import { formatBytes, formatDuration, ProgressReporter, renderProgress } from '../../../glance/cli/progress.js';
import { renderTable } from '../../../glance/cli/format-output.js';
import { archiveProperties, defaultImageName, initialProperties, MAX_DESCRIPTIVE_VALUE, novaArchitecture, parsePropertyArg } from '../../../src/images/image-properties.js';
import { singleImage } from '../../../src/images/upload-archive.js';
import { compareRecordedProperties } from '../../../glance/verify/verify-image.js';
import { algorithmsToVerify, compareWithGlance } from '../../../src/openstack/image-digests.js';
import type { ArchiveImage, ArchiveSummary } from '../../../src/image-archive/archive-manifest.js';
import type { GlanceImage } from '../../../src/openstack/glance-image.js';

const IMG: ArchiveImage = {
  imageId: 'sha256:abc',
  configPath: 'abc.json',
  repoTags: ['repo/app:1', 'repo/app:latest'],
  layers: [],
  architecture: 'arm64',
  os: 'linux',
  variant: 'v8',
  created: null,
  labels: { a: 'b' },
  layerBytes: 0,
};

const GIMG: GlanceImage = {
  id: 'i',
  name: 'n',
  status: 'active',
  containerFormat: 'docker',
  diskFormat: 'raw',
  visibility: 'shared',
  owner: null,
  size: 3,
  checksum: 'md5',
  osHashAlgo: 'sha512',
  osHashValue: 'sha',
  protected: false,
  minDisk: 0,
  minRam: 0,
  tags: [],
  createdAt: null,
  updatedAt: null,
  properties: { docker_image_id: 'sha256:abc', docker_repo_tags: 'repo/app:1,repo/app:latest' },
};

describe('parseCli', () => {
  it('parses an import with everything', () => {
    const a = parseCli(['import', 'x.tar', '--name', 'n', '--property', 'a=b=c', '--property', 'k=', '--visibility', 'public', '--wait', '--format', 'json', '--sahara-tag', 'cdh', '--os-token', 't', '--os-image-url', 'http://g', '--stall-timeout', '30']);
    expect(a).toMatchObject({
      command: 'import',
      positionals: ['x.tar'],
      name: 'n',
      properties: { a: 'b=c', k: '' },
      visibility: 'public',
      wait: true,
      format: 'json',
      saharaTags: ['cdh'],
      initialProperties: { hypervisor_type: 'docker', vm_mode: 'exe', _sahara_tag_cdh: 'True', a: 'b=c', k: '' },
      stallTimeoutS: 30,
      credentials: { token: 't', image_url: 'http://g' },
    });
  });

  it.each([
    [['nope'], /unknown command/],
    [['show'], /needs an image ID or name/],
    [['list', 'extra'], /unexpected argument/],
    [['list', '--name', 'x'], /--name applies to import only/],
    [['import', 'f', '--from-docker', 'x'], /either FILE/],
    [['import', '--format', 'xml'], /--format must be/],
    [['import', '--bogus'], /Unknown option/],
    [['import', '--property', 'novalue'], /expected key=value/],
    [['import', '--property', 'status=active'], /Glance attribute/],
    [['import', '--stall-timeout', '0'], /--stall-timeout/],
    [['import', '--verify-hash', 'sha256'], /--verify-hash must be md5, sha512 or both/],
    [['verify', 'x', '--verify-hash', 'both'], /--verify-hash applies to import only/],
    [['verify', 'x', '--verify-layers'], /--verify-layers applies to import only/],
  ])('%j → usage error', (argv, re) => {
    expect(() => parseCli(argv)).toThrow(re);
  });

  it.each([
    [[], ['md5']],
    [['--verify-hash', 'md5'], ['md5']],
    [['--verify-hash', 'sha512'], ['sha512']],
    [['--verify-hash', 'both'], ['md5', 'sha512']],
  ])('import %j verifies with %j', (extra, want) => {
    expect(parseCli(['import', 'x.tar', ...extra]).verifyHash).toEqual(want);
  });

  it.each([
    [[], false],
    [['--verify-layers'], true],
  ])('import %j hashes layers: %s', (extra, want) => {
    expect(parseCli(['import', 'x.tar', ...extra]).verifyLayers).toBe(want);
  });

  it.each<[string, string[], RegExp]>([
    ['a bad --sahara-tag', ['--sahara-tag', 'a b'], /--sahara-tag "a b"/],
    ['too many --property', Array.from({ length: 125 }, (_v, i) => ['--property', `p${i}=x`]).flat(), /too many properties/],
  ])('%s is a usage mistake, found before any credentials are needed', (_name, extra, re) => {
    const err = (() => {
      try {
        parseCli(['import', 'x.tar', ...extra]);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(re);
  });

  it('help', () => {
    expect(parseCli([]).command).toBe('help');
    expect(parseCli(['list', '--help']).command).toBe('help');
  });
});

describe('properties', () => {
  it.each([
    ['amd64', null, 'x86_64'],
    ['arm64', 'v8', 'aarch64'],
    ['arm', 'v7', 'armv7l'],
    ['386', null, 'i686'],
    ['s390x', null, 's390x'],
    [null, null, null],
  ])('novaArchitecture(%s, %s) = %s', (a, v, out) => expect(novaArchitecture(a, v)).toBe(out));

  it('initial properties: defaults, Sahara, user wins', () => {
    expect(initialProperties({ user: { vm_mode: 'hvm', x: '1' }, saharaUsername: 'ubuntu', saharaTags: ['cdh', '5.13.0'] })).toEqual({
      hypervisor_type: 'docker',
      vm_mode: 'hvm',
      _sahara_username: 'ubuntu',
      _sahara_tag_cdh: 'True',
      '_sahara_tag_5.13.0': 'True',
      x: '1',
    });
    expect(() => initialProperties({ user: {}, saharaUsername: null, saharaTags: ['a b'] })).toThrow(/--sahara-tag/);
    const many = Object.fromEntries(Array.from({ length: 125 }, (_v, i) => [`p${i}`, 'x']));
    expect(() => initialProperties({ user: many, saharaUsername: null, saharaTags: [] })).toThrow(/too many properties/);
  });

  it('archive properties; the operator\'s values are kept', () => {
    expect(archiveProperties(IMG, {})).toEqual({
      docker_image_id: 'sha256:abc',
      docker_repo_tags: 'repo/app:1,repo/app:latest',
      architecture: 'aarch64',
      os_type: 'linux',
      docker_labels: '{"a":"b"}',
    });
    expect(archiveProperties({ ...IMG, repoTags: [], labels: {} }, { architecture: 'x86_64' })).toEqual({ docker_image_id: 'sha256:abc', os_type: 'linux' });
    expect(defaultImageName(IMG)).toBe('repo/app:1');
    expect(defaultImageName({ ...IMG, repoTags: [`${'r'.repeat(250)}/app:${'t'.repeat(100)}`] })).toHaveLength(255);
    expect(defaultImageName({ ...IMG, repoTags: [], imageId: `sha256:${'f'.repeat(64)}` })).toBe('docker-image-ffffffffffff');
    expect(parsePropertyArg('a:b=c')).toEqual(['a:b', 'c']);
  });

  it('archive properties stay within what Glance can store (labels and tags of an odd image are shortened, not refused)', () => {
    const labels = Object.fromEntries(Array.from({ length: 400 }, (_v, i) => [`label.${String(i).padStart(3, '0')}`, 'v'.repeat(100)]));
    const tags = Array.from({ length: 1000 }, (_v, i) => `registry.example/some/long/repository-name:${i}`);
    const props = archiveProperties({ ...IMG, labels, repoTags: tags }, {});
    expect(props.docker_labels?.length).toBeLessThanOrEqual(MAX_DESCRIPTIVE_VALUE);
    expect(props.docker_repo_tags?.length).toBeLessThanOrEqual(MAX_DESCRIPTIVE_VALUE);
    const kept = JSON.parse(props.docker_labels ?? '{}') as Record<string, string>;
    expect(Object.keys(kept)[0]).toBe('label.000');
    expect(Object.keys(kept).length).toBeGreaterThan(100);
    expect(props.docker_repo_tags?.split(',')[0]).toBe(tags[0]);
    // A label too big on its own is left out; the others are kept.
    expect(archiveProperties({ ...IMG, labels: { a: 'b', huge: 'x'.repeat(20_000) } }, {}).docker_labels).toBe('{"a":"b"}');
  });

  it('singleImage refuses several images and unloadable archives', () => {
    const s: ArchiveSummary = { layout: 'docker', gzipped: false, images: [IMG], unloadableBy2010: [] };
    expect(singleImage(s, false)).toBe(IMG);
    const other = { ...IMG, imageId: 'sha256:def', repoTags: ['other:2'] };
    expect(() => singleImage({ ...s, images: [IMG, other] }, false)).toThrow(/holds 2 images \(repo\/app:1, other:2\)/);
    const amd = { ...IMG, imageId: 'sha256:def', architecture: 'amd64', variant: null };
    expect(() => singleImage({ ...s, images: [amd, IMG] }, false)).toThrow(/holds 2 platforms of repo\/app:1 \(linux\/amd64, linux\/arm64\/v8\).*--platform/);
    expect(() => singleImage({ ...s, unloadableBy2010: ['zstd'] }, false)).toThrow(/Docker 20\.10: zstd \(--allow-unloadable/);
    expect(singleImage({ ...s, unloadableBy2010: ['zstd'] }, true)).toBe(IMG);
  });
});

describe('comparisons', () => {
  it('compareWithGlance', () => {
    expect(compareWithGlance(GIMG, { md5: 'md5', sha512: 'sha', bytes: 3 })).toEqual([]);
    expect(compareWithGlance(GIMG, { md5: 'x', sha512: 'y', bytes: 4 })).toHaveLength(3);
    expect(compareWithGlance({ ...GIMG, checksum: null, osHashAlgo: 'sha256' }, { md5: 'x', sha512: 'y', bytes: 3 })[0]).toMatch(/nothing to verify against/);
    expect(compareWithGlance({ ...GIMG, osHashAlgo: 'sha256', osHashValue: 'zzz' }, { md5: 'md5', sha512: 'y', bytes: 3 })).toEqual([]);
    // Only the digests that were computed are compared; at least one must meet its Glance counterpart.
    expect(compareWithGlance(GIMG, { md5: null, sha512: 'sha', bytes: 3 })).toEqual([]);
    expect(compareWithGlance(GIMG, { md5: null, sha512: 'y', bytes: 3 })).toHaveLength(1);
    expect(compareWithGlance(GIMG, { md5: 'md5', sha512: null, bytes: 3 })).toEqual([]);
    expect(compareWithGlance({ ...GIMG, checksum: null }, { md5: 'md5', sha512: null, bytes: 3 })[0]).toMatch(/nothing to verify against.*hashed with md5/);
  });

  it.each([
    ['sha512 recorded: only sha512', {}, ['sha512']],
    ['another os_hash_algo: the md5 checksum', { osHashAlgo: 'sha256' }, ['md5']],
    ['no os_hash_value: the md5 checksum', { osHashValue: null }, ['md5']],
    ['nothing recorded: both (and the comparison fails)', { osHashValue: null, checksum: null }, ['md5', 'sha512']],
  ])('algorithmsToVerify: %s', (_n, over, want) => {
    expect(algorithmsToVerify({ ...GIMG, ...over })).toEqual(want);
  });

  it('compareRecordedProperties', () => {
    const s: ArchiveSummary = { layout: 'docker', gzipped: false, images: [IMG], unloadableBy2010: [] };
    expect(compareRecordedProperties(GIMG, s)).toEqual([]);
    expect(compareRecordedProperties({ ...GIMG, properties: { docker_image_id: 'sha256:zzz', docker_repo_tags: 'x' }, containerFormat: 'bare' }, s)).toHaveLength(3);
  });
});

describe('progress and tables', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('formatBytes(%i) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each([
    [null, '--:--'],
    [5, '0:05'],
    [65, '1:05'],
    [3723, '1:02:03'],
  ])('formatDuration(%s) = %s', (n, s) => expect(formatDuration(n)).toBe(s));

  it('renders a bar with rate and ETA, or bytes and rate without a total', () => {
    expect(renderProgress({ label: 'upload', bytes: 50 * 1024 * 1024, total: 100 * 1024 * 1024, elapsedS: 5, width: 10 })).toBe(
      'upload [====>     ]  50% 50.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:05',
    );
    expect(renderProgress({ label: 'upload', bytes: 100, total: 100, elapsedS: 1, width: 4 })).toBe('upload [====] 100% 100 B/100 B 100 B/s ETA 0:00');
    expect(renderProgress({ label: 'upload', bytes: 2048, total: null, elapsedS: 2 })).toBe('upload 2.0 KiB 1.0 KiB/s');
  });

  it('prints occasional lines off a terminal, redraws on one', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new ProgressReporter({ label: 'x', total: null, tty: false, write: (s) => lines.push(s), lineIntervalS: 10, now: () => t });
    for (t = 0; t <= 25_000; t += 1000) p.update(t);
    p.done();
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const tty: string[] = [];
    t = 0;
    const q = new ProgressReporter({ label: 'x', total: 10, tty: true, write: (s) => tty.push(s), now: () => t });
    t = 500;
    q.update(5);
    q.done();
    expect(tty[0]?.startsWith('\r\x1b[2K')).toBe(true);
    expect(tty[1]?.endsWith('\n')).toBe(true);
  });

  it('aligns table columns', () => {
    expect(renderTable(['A', 'BB'], [['xxx', 'y'], ['z', '']])).toBe('A    BB\nxxx  y\nz\n');
  });
});
