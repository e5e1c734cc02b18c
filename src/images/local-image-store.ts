/**
 * The Docker Engine as an image store: the narrow port image transfers need
 * (`docker save`, `docker load`, inspect, tag, remove).
 *
 * The compute driver's DockerEngine port (src/docker/docker-engine.ts) has
 * load/inspect/tag but neither save (for `glance-docker import --from-docker`)
 * nor remove (to drop an image whose download failed verification after
 * `docker load` already took it), hence this port. Every method throws
 * BridgeErrors only (ERR_IMAGE_NOT_FOUND, ERR_DOCKER, ERR_DOCKER_UNAVAILABLE,
 * ERR_ABORTED…).
 */
import type { Readable } from 'node:stream';

/** What the store knows about one image. */
export interface LocalImage {
  /** "sha256:…" */
  readonly id: string;
  readonly repoTags: readonly string[];
}

export interface LocalImageStore {
  /**
   * `docker save REFERENCE`: resolves once the Engine answered (a missing image
   * is ERR_IMAGE_NOT_FOUND then, before any byte flows) with the archive stream.
   */
  saveImage(reference: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * `docker load` of an archive stream. Resolves with the references the Engine
   * reported once it has taken the whole archive. If `archive` fails (errors
   * or is destroyed) the load is abandoned and this rejects.
   */
  loadImage(archive: Readable, signal?: AbortSignal): Promise<readonly string[]>;
  /** The image, or null when the Engine has no image by that reference. */
  inspectImage(reference: string, signal?: AbortSignal): Promise<LocalImage | null>;
  /** Adds `repo:tag` to an image. */
  tagImage(reference: string, repo: string, tag: string, signal?: AbortSignal): Promise<void>;
  /** Removes an image (or one tag of it); false when there was nothing to remove. */
  removeImage(reference: string, options: { force: boolean }, signal?: AbortSignal): Promise<boolean>;
}
