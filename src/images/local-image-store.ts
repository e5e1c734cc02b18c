/**
 * The part of the Docker Engine port that image transfers need: `docker save`,
 * `docker load`, inspect, list, tag and remove. It is a view of the one Docker port
 * (src/docker/docker-engine.ts), served by the one adapter (DockerodeEngine),
 * so Docker errors are translated in one place and a remote Engine
 * ([docker] host_url over TCP+TLS) works for images as for containers.
 * Every method throws BridgeErrors only (ERR_IMAGE_NOT_FOUND, ERR_DOCKER,
 * ERR_DOCKER_UNAVAILABLE, ERR_ABORTED…).
 */
import type { DockerEngine, ImageDetails } from '../docker/docker-engine.js';
import { isBridgeError } from '../errors/bridge-error.js';

export type LocalImageStore = Pick<DockerEngine, 'saveImage' | 'loadImage' | 'inspectImage' | 'listImages' | 'tagImage' | 'removeImage'>;

/** The image, or null when the Engine has no image by that reference. */
export async function findLocalImage(store: Pick<LocalImageStore, 'inspectImage'>, reference: string, signal?: AbortSignal): Promise<ImageDetails | null> {
  try {
    return await store.inspectImage(reference, signal);
  } catch (err) {
    if (isBridgeError(err, 'ERR_IMAGE_NOT_FOUND')) return null;
    throw err;
  }
}
