/**
 * Two Glance images holding one docker image, downloaded at once, the second
 * corrupted in Glance: undoing the bad load must not take away what the good
 * one needs. The order that broke it (the bad one undone between the good
 * one's load and its tag) is forced here with a fake Engine that behaves as
 * Docker does: a load moves the archive's repo tags onto the image, and
 * removing an image's last tag removes the image. The same case runs against
 * real Glance and Docker in test/integration/glance/image-ensurer.test.ts,
 * where the order is left to chance.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ImageDetails } from '../../../src/docker/docker-engine.js';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { ImageEnsurer } from '../../../src/images/image-ensurer.js';
import type { LocalImageStore } from '../../../src/images/local-image-store.js';
import type { GlanceClient } from '../../../src/openstack/glance-client.js';
import { parseGlanceImage, type GlanceImage } from '../../../src/openstack/glance-image.js';
import { buildDockerArchive, type BuiltArchive } from '../../helpers/docker-archives.js';

/** Docker's image and tag bookkeeping, in memory. */
class FakeEngine {
  readonly images = new Map<string, Set<string>>();
  /** Called before an image or tag is looked up; may hold it back. */
  beforeInspect: (ref: string) => Promise<void> = async () => undefined;
  /** Resolves the next time a load has registered its image. */
  loadsDone = 0;
  /** Called before a tag is made; may hold it back. */
  beforeTag: (tag: string) => Promise<void> = async () => undefined;
  private loaded = 0;
  private allLoaded!: () => void;
  private readonly everyLoad = new Promise<void>((r) => (this.allLoaded = r));

  /** `loadBarrier`: loads answered only once this many have registered their image. */
  constructor(
    /** What loading an archive registers, by the archive's sha256. */
    private readonly loads: ReadonlyMap<string, { readonly imageId: string; readonly repoTags: readonly string[] }>,
    private readonly loadBarrier = 1,
  ) {}

  private resolve(ref: string): string | null {
    if (this.images.has(ref)) return ref;
    for (const [id, tags] of this.images) if (tags.has(ref)) return id;
    return null;
  }

  private untag(tag: string): void {
    for (const tags of this.images.values()) tags.delete(tag);
  }

  readonly store: LocalImageStore = {
    inspectImage: async (ref) => {
      await this.beforeInspect(ref);
      const id = this.resolve(ref);
      if (id === null) throw new BridgeError('ERR_IMAGE_NOT_FOUND', `No such image: ${ref}`);
      const details: ImageDetails = { id, repoTags: [...(this.images.get(id) ?? [])], repoDigests: [], architecture: 'amd64', os: 'linux', cmd: null, entrypoint: null, labels: {}, sizeBytes: 1 };
      return details;
    },
    listImages: async () => [...this.images].map(([id, tags]) => ({ id, repoTags: [...tags], repoDigests: [], labels: {} })),
    loadImage: async (tar) => {
      // docker load reads the whole archive before it registers anything.
      const hash = createHash('sha256');
      for await (const chunk of tar) hash.update(chunk as Buffer);
      const { imageId, repoTags } = this.loads.get(hash.digest('hex')) as { imageId: string; repoTags: readonly string[] };
      if (!this.images.has(imageId)) this.images.set(imageId, new Set());
      for (const t of repoTags) {
        this.untag(t);
        this.images.get(imageId)?.add(t);
      }
      this.loadsDone++;
      // Both loads have registered the image before either caller goes on.
      if (++this.loaded >= this.loadBarrier) this.allLoaded();
      await this.everyLoad;
      return { references: repoTags };
    },
    tagImage: async (ref, repo, tag) => {
      await this.beforeTag(`${repo}:${tag}`);
      const id = this.resolve(ref);
      if (id === null) throw new BridgeError('ERR_IMAGE_NOT_FOUND', `No such image: ${ref}`);
      this.untag(`${repo}:${tag}`);
      this.images.get(id)?.add(`${repo}:${tag}`);
    },
    removeImage: async (ref) => {
      const id = this.resolve(ref);
      if (id === null) return false;
      const tags = this.images.get(id) as Set<string>;
      if (ref !== id) tags.delete(ref);
      if (ref === id || tags.size === 0) this.images.delete(id);
      return true;
    },
    saveImage: async () => {
      throw new Error('not expected in this test');
    },
  };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function fakeGlance(meta: ReadonlyMap<string, GlanceImage>, data: ReadonlyMap<string, Buffer>): GlanceClient {
  return {
    endpoint: 'http://glance.test',
    getImage: async (id: string) => meta.get(id) as GlanceImage,
    downloadImageData: async (id: string) => ({ stream: Readable.from([data.get(id) as Buffer]), size: (data.get(id) as Buffer).length, contentMd5: null }),
  } as unknown as GlanceClient;
}

/** Glance's record of `data`; `corrupt`: a sha512 that is not the data's (damaged in the store). */
function glanceImage(id: string, data: Buffer, corrupt: boolean): GlanceImage {
  const sha512 = createHash('sha512').update(data).digest('hex');
  const recorded = corrupt ? sha512.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sha512;
  return parseGlanceImage({ id, name: id, status: 'active', container_format: 'docker', disk_format: 'raw', size: data.length, os_hash_algo: 'sha512', os_hash_value: recorded }, 'test fixture');
}

/** An ImageEnsurer over a fake Glance holding `images` and a fake Engine that loads their archives. */
function world(images: readonly { id: string; archive: BuiltArchive; corrupt: boolean }[], loadBarrier = 1): { engine: FakeEngine; ensurer: ImageEnsurer } {
  const meta = new Map(images.map((i) => [i.id, glanceImage(i.id, i.archive.tar, i.corrupt)] as const));
  const data = new Map(images.map((i) => [i.id, i.archive.tar] as const));
  const loads = new Map(images.map((i) => [sha256(i.archive.tar), { imageId: i.archive.imageId, repoTags: i.archive.repoTags }] as const));
  const engine = new FakeEngine(loads, loadBarrier);
  const ensurer = new ImageEnsurer({ store: engine.store, glanceFor: async () => fakeGlance(meta, data), repository: 'glance', allowedContainerFormats: ['docker'] });
  return { engine, ensurer };
}

/** Downloads `good` and `bad` at once; `good` is tagged only after `bad` has failed and been handled. */
async function goodTaggedAfterBad(ensurer: ImageEnsurer, engine: FakeEngine, good: string, bad: string): Promise<[PromiseSettledResult<unknown>, PromiseSettledResult<unknown>]> {
  let badDone!: () => void;
  const badSettled = new Promise<void>((r) => (badDone = r));
  engine.beforeTag = async (tag) => {
    if (tag === `glance:${good}`) await badSettled;
  };
  const badRun = ensurer.ensureImage({ id: bad }, { authToken: null }).finally(() => badDone());
  const [g, b] = await Promise.allSettled([ensurer.ensureImage({ id: good }, { authToken: null }), badRun]);
  return [g, b];
}

describe('ImageEnsurer: twin downloads, one corrupted', () => {
  it('the bad one undone after both loads and before the good one’s tag leaves the good one its image', async () => {
    const built = await buildDockerArchive({ repoTags: ['example/twins:1'] });
    const good = 'aaaaaaaa-0000-4000-8000-000000000001';
    const bad = 'bbbbbbbb-0000-4000-8000-000000000002';
    const { engine, ensurer } = world(
      [
        { id: good, archive: built, corrupt: false },
        { id: bad, archive: built, corrupt: true },
      ],
      2,
    );

    const [g, b] = await goodTaggedAfterBad(ensurer, engine, good, bad);

    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'ERR_INVALID_IMAGE', message: expect.stringMatching(/does not match its recorded hashes.*the rest is undone once the other downloads on this host end/) } });
    expect(g).toMatchObject({ status: 'fulfilled', value: { imageId: built.imageId, downloaded: true } });
    // The good one's image stays, by its Glance tag; the tag the bad load made is gone.
    await ensurer.undosSettled();
    expect(engine.images.get(built.imageId)).toEqual(new Set([`glance:${good}`]));
  });

  it('beside an unrelated download, the bad one is undone completely once that one ends', async () => {
    const one = await buildDockerArchive({ repoTags: ['example/one:1'] });
    const other = await buildDockerArchive({ repoTags: ['example/other:1'], architecture: 'arm64' });
    const bad = 'cccccccc-0000-4000-8000-000000000003';
    const fine = 'dddddddd-0000-4000-8000-000000000004';
    const { engine, ensurer } = world(
      [
        { id: bad, archive: one, corrupt: true },
        { id: fine, archive: other, corrupt: false },
      ],
      2,
    );
    const [f, b] = await goodTaggedAfterBad(ensurer, engine, fine, bad);
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'ERR_INVALID_IMAGE' } });
    expect(f).toMatchObject({ status: 'fulfilled', value: { imageId: other.imageId } });
    await ensurer.undosSettled();
    expect([...engine.images.keys()]).toEqual([other.imageId]);
    expect(ensurer.activeDownloads).toBe(0);
  });

  it('a twin that starts while a failed download is being undone keeps the image: the undo stops and finishes later', async () => {
    const built = await buildDockerArchive({ repoTags: ['example/late:1'] });
    const bad = 'eeeeeeee-0000-4000-8000-000000000005';
    const good = 'ffffffff-0000-4000-8000-000000000006';
    const { engine, ensurer } = world([
      { id: bad, archive: built, corrupt: true },
      { id: good, archive: built, corrupt: false },
    ]);
    let goodRun: Promise<unknown> | null = null;
    let goodLoaded!: () => void;
    const loaded = new Promise<void>((r) => (goodLoaded = r));
    // The bad download, alone, starts undoing (it looks its tag up): the good one starts and loads.
    engine.beforeInspect = async (ref) => {
      if (ref !== 'example/late:1' || goodRun !== null) return;
      const loadsBefore = engine.loadsDone;
      engine.beforeTag = async () => {
        goodLoaded();
        await badSettled;
      };
      goodRun = ensurer.ensureImage({ id: good }, { authToken: null });
      await loaded;
      expect(engine.loadsDone).toBe(loadsBefore + 1);
    };
    let badDone!: () => void;
    const badSettled = new Promise<void>((r) => (badDone = r));
    const b = await ensurer.ensureImage({ id: bad }, { authToken: null }).then(
      () => null,
      (e: unknown) => e,
    );
    badDone();
    expect(b).toMatchObject({ code: 'ERR_INVALID_IMAGE', message: expect.stringMatching(/the rest is undone once the other downloads on this host end/) });
    await expect(goodRun).resolves.toMatchObject({ imageId: built.imageId, downloaded: true });
    await ensurer.undosSettled();
    expect(engine.images.get(built.imageId)).toEqual(new Set([`glance:${good}`]));
  });
});
