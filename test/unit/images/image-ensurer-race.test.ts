/**
 * ImageEnsurer's "one download per image" across the gap between a caller's
 * local lookup and its turn to download: a download that finished in between
 * must be found, not repeated. A fake store stands in for the Engine (the real
 * download paths are tested against Glance and Docker in test/integration).
 */
import { describe, expect, it } from 'vitest';
import type { ImageDetails } from '../../../src/docker/docker-engine.js';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { ImageEnsurer } from '../../../src/images/image-ensurer.js';
import type { LocalImageStore } from '../../../src/images/local-image-store.js';

const IMAGE: ImageDetails = { id: `sha256:${'a'.repeat(64)}`, repoTags: [], repoDigests: [], architecture: 'amd64', os: 'linux', cmd: null, entrypoint: null, labels: {}, sizeBytes: 1 };

function storeAppearingAfter(misses: number): { store: LocalImageStore; lookups: () => number } {
  let n = 0;
  const unused = (): never => {
    throw new Error('not expected in this test');
  };
  const store: LocalImageStore = {
    inspectImage: async () => {
      n++;
      if (n <= misses) throw new BridgeError('ERR_IMAGE_NOT_FOUND', 'no such image');
      return IMAGE;
    },
    saveImage: unused,
    loadImage: unused,
    listImages: unused,
    tagImage: unused,
    removeImage: unused,
  };
  return { store, lookups: () => n };
}

describe('ImageEnsurer: a download that landed after the caller looked', () => {
  it('is found again before a new download starts (Glance is not called)', async () => {
    const { store, lookups } = storeAppearingAfter(1);
    let glanceCalls = 0;
    const ensurer = new ImageEnsurer({
      store,
      glanceFor: async () => {
        glanceCalls++;
        throw new Error('Glance must not be asked for an image the host has');
      },
      repository: 'glance-image',
      allowedContainerFormats: ['docker'],
    });
    const got = await ensurer.ensureImage({ id: 'f0e1d2c3-0000-4000-8000-000000000001' }, { authToken: null });
    expect(got).toEqual({ reference: 'glance-image:f0e1d2c3-0000-4000-8000-000000000001', imageId: IMAGE.id, downloaded: false });
    expect(glanceCalls).toBe(0);
    expect(lookups()).toBe(2);
  });
});
