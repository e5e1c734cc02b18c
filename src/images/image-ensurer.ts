/**
 * Images at spawn: makes sure the Docker image of a Glance image is on this
 * host, tagged `<repository>:<glance id>` (how src/compute looks it up).
 *
 * When it is missing, the Glance data streams straight into `docker load`
 * (no staging file) through a tee that hashes it (the digests Glance recorded) and inspects
 * the archive:
 *
 *   GET /v2/images/{id}/file (MiB chunks) ─▶ SideTee ──▶ POST /images/load
 *                                               ├─▶ WorkerDigestSink (md5, sha512 in worker threads)
 *                                               └─▶ ArchiveInspector
 *
 * Docker has taken the image by the time the hash is known, so a mismatch
 * undoes what that load did (and only that: the host's images are listed
 * first) and fails the spawn with ERR_INVALID_IMAGE. The
 * loaded image is identified by the archive's manifest (its config digest),
 * never by the Glance name. One download per image at a time: concurrent
 * callers for the same image share the first one's transfer.
 */
import { pipeline } from 'node:stream/promises';
import { BridgeError, isBridgeError, toBridgeError } from '../errors/bridge-error.js';
import { ArchiveInspector } from '../image-archive/archive-inspector.js';
import { describeImages } from '../image-archive/archive-manifest.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { GlanceClient } from '../openstack/glance-client.js';
import { algorithmsToVerify, compareWithGlance } from '../openstack/image-digests.js';

import { SideTee } from '../stream/side-tee.js';
import { WorkerDigestSink } from '../stream/worker-digest-sink.js';
import { abortError, throwIfAborted } from '../util/abort.js';
import { SharedFlights } from '../util/shared-flights.js';
import type { RequestCredentials } from './glance-access.js';
import { findLocalImage, type LocalImageStore } from './local-image-store.js';

/** The part of Nova's image_meta used here. */
export interface ImageRef {
  readonly id: string | null;
}

/** The result of {@link ImageEnsurer.ensureImage}. */
export interface EnsuredImage {
  /** `<repository>:<glance id>`: what to create the container from. */
  readonly reference: string;
  /** The Docker image ID ("sha256:…"). */
  readonly imageId: string;
  /** True when this call (or the one it waited for) downloaded it. */
  readonly downloaded: boolean;
}

export interface ImageEnsurerOptions {
  readonly store: LocalImageStore;
  /** A Glance client for a request (see GlanceAccess). */
  readonly glanceFor: (req: RequestCredentials, signal?: AbortSignal) => Promise<GlanceClient>;
  /** [compute] glance_image_repository. */
  readonly repository: string;
  /** [compute] allowed_container_formats. */
  readonly allowedContainerFormats: readonly string[];
  readonly logger?: Logger;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class ImageEnsurer {
  private readonly flights = new SharedFlights<string, EnsuredImage>();
  private readonly log: Logger;
  /** Undos of failed loads that wait for the other downloads to end (see {@link undoLoad}). */
  private readonly deferredUndos: { images: LoadedImage[]; before: HostImages }[] = [];
  private draining: Promise<void> | null = null;

  constructor(private readonly o: ImageEnsurerOptions) {
    this.log = o.logger ?? silentLogger;
  }

  /** Downloads in progress (for tests and metrics). */
  get activeDownloads(): number {
    return this.flights.size;
  }

  /** `<repository>:<glance id>` for an image ID. */
  referenceFor(glanceId: string): string {
    return `${this.o.repository}:${glanceId.toLowerCase()}`;
  }

  async ensureImage(image: ImageRef, req: RequestCredentials, signal?: AbortSignal): Promise<EnsuredImage> {
    const id = image.id;
    if (id === null || !TAG.test(id)) throw new BridgeError('ERR_IMAGE_NOT_FOUND', `cannot fetch the image from Glance: image_meta has no usable image ID (${JSON.stringify(id)})`);
    throwIfAborted(signal, `ensure image ${id}`);
    const reference = this.referenceFor(id);
    const present = await findLocalImage(this.o.store, reference, signal);
    if (present !== null) return { reference, imageId: present.id, downloaded: false };

    // The flight is gone from `flights` by the time this caller's promise settles.
    return this.flights
      .run(id, (shared) => this.download(id, reference, req, shared), signal, `waiting for the download of image ${id}`, () =>
        this.log.info('waiting for the download of the same image by another spawn', { image_id: id }),
      )
      .finally(() => this.drainUndos());
  }

  /** Resolves once no undo of a failed download is running (the service's stop waits for it, bounded; tests). */
  async undosSettled(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  /**
   * Runs the deferred undos once no download runs, in the background: a spawn
   * that succeeded does not wait for a failed one's clean-up. A download that
   * starts meanwhile interrupts it (the undo goes back to the queue), and the
   * next download to end starts it again.
   */
  private drainUndos(): void {
    if (this.draining !== null || this.flights.size > 0 || this.deferredUndos.length === 0) return;
    const run = async (): Promise<void> => {
      while (this.flights.size === 0) {
        const u = this.deferredUndos.shift();
        if (u === undefined) return;
        const r = await this.removeLoaded(u.images, u.before, () => this.flights.size > 0);
        if (r.undone.length > 0) this.log.info('undid what a failed download had loaded, after the downloads running beside it ended', { undone: r.undone });
        if (r.interrupted) {
          this.deferredUndos.unshift(u);
          return;
        }
      }
    };
    this.draining = run().finally(() => {
      this.draining = null;
      // Queued while the loop was finishing.
      this.drainUndos();
    });
  }

  private async download(id: string, reference: string, req: RequestCredentials, signal: AbortSignal): Promise<EnsuredImage> {
    // A download of this image may have finished between the caller's lookup and this flight.
    const landed = await findLocalImage(this.o.store, reference, signal);
    if (landed !== null) return { reference, imageId: landed.id, downloaded: false };
    const started = Date.now();
    const glance = await this.o.glanceFor(req, signal);
    const meta = await glance.getImage(id, signal);
    if (meta.status !== 'active') throw new BridgeError('ERR_IMAGE_NOT_FOUND', `Glance image ${id} is ${meta.status}, not active: it has no usable data`, { details: { image_id: id } });
    if (meta.containerFormat === null || !this.o.allowedContainerFormats.includes(meta.containerFormat)) {
      throw new BridgeError(
        'ERR_INVALID_IMAGE',
        `Glance image ${id} has container_format ${meta.containerFormat ?? 'unset'}; this host runs ${this.o.allowedContainerFormats.join(', ')} images (upload docker save archives with glance-docker import)`,
        { details: { image_id: id } },
      );
    }
    // Only what this load adds may be removed again if the data turns out bad; tags it moves are moved back.
    const before = await this.hostImages(signal);

    this.log.info('downloading image from Glance into docker load', { image_id: id, size: meta.size, endpoint: glance.endpoint });
    const dl = await glance.downloadImageData(id, signal);
    // Only the digests Glance recorded are worth the CPU (sha512 when it has one).
    const digest = new WorkerDigestSink({ algorithms: algorithmsToVerify(meta) });
    // Layers are not hashed here: the whole stream is checked against Glance's hash, and
    // docker load checks every layer against the config's diff_ids itself.
    const inspector = new ArchiveInspector({ verifyLayerDigests: false });
    const tee = new SideTee([digest, inspector]);
    const flowing = pipeline(dl.stream, tee);
    // Once dockerd has every byte, cancelling the request no longer stops it: it registers the
    // image anyway, unseen and unverified. From then on a cancellation waits for the load to end
    // and undoes it below.
    const loadAbort = new AbortController();
    let allSent = false;
    tee.once('end', () => (allSent = true));
    const cancelLoad = (): void => {
      if (!allSent) loadAbort.abort(signal.reason);
    };
    signal.addEventListener('abort', cancelLoad, { once: true });
    if (signal.aborted) cancelLoad();
    const load = this.o.store.loadImage(tee, loadAbort.signal);
    const [loaded, flow] = await Promise.allSettled([load, flowing]).finally(() => signal.removeEventListener('abort', cancelLoad));
    const inspected = await inspector.summary.then(
      (s) => ({ ok: true as const, s }),
      (e: unknown) => ({ ok: false as const, e: toBridgeError(e) }),
    );
    const loadedRefs = loaded.status === 'fulfilled' ? loaded.value.references : [];

    const fail = async (err: BridgeError): Promise<never> => {
      const note = await this.undoLoad(await this.loadedImages(inspected.ok ? inspected.s.images : null, loadedRefs), before);
      throw new BridgeError(err.code, `${err.message}${note}`, { cause: err, details: { ...err.details, image_id: id } });
    };

    if (!inspected.ok && inspected.e.code === 'ERR_INVALID_IMAGE') {
      return fail(new BridgeError('ERR_INVALID_IMAGE', `Glance image ${id} is not a usable docker image: ${inspected.e.message}`, { cause: inspected.e }));
    }
    if (flow.status === 'rejected') return fail(toBridgeError(flow.reason));
    if (loaded.status === 'rejected') return fail(toBridgeError(loaded.reason));
    if (!inspected.ok) return fail(inspected.e);
    if (signal.aborted) return fail(abortError(signal, `download of image ${id}`));
    const digests = digest.digests;
    const problems = compareWithGlance(meta, digests);
    if (problems.length > 0) {
      return fail(new BridgeError('ERR_INVALID_IMAGE', `the data of Glance image ${id} does not match its recorded hashes (corrupted in the store or in transit): ${problems.join('; ')}`));
    }
    const summary = inspected.s;
    if (summary.images.length !== 1) {
      return fail(new BridgeError('ERR_INVALID_IMAGE', `Glance image ${id} holds ${describeImages(summary.images)}; one is expected`));
    }
    const imageId = (summary.images[0] as { imageId: string }).imageId;
    // Cancelled (or Docker failing) between the load and the tag: nothing refers to the image yet, so it is undone too.
    const local = await findLocalImage(this.o.store, imageId, signal).catch((err: unknown) => fail(toBridgeError(err)));
    if (local === null) return fail(new BridgeError('ERR_DOCKER', `docker load reported ${loadedRefs.join(', ') || 'nothing'}, but image ${imageId} from the archive's manifest is not there`));
    await this.o.store.tagImage(imageId, this.o.repository, id.toLowerCase(), signal).catch((err: unknown) => fail(toBridgeError(err)));
    this.log.info('image downloaded, verified and tagged', { image_id: id, docker_image_id: imageId, reference, bytes: digests.bytes, seconds: (Date.now() - started) / 1000 });
    return { reference, imageId, downloaded: true };
  }

  /**
   * Undoes a failed load now, or, while other downloads run on this host,
   * once they have all ended: one of them may be loading the same docker image
   * (two Glance images of one docker image) and not have tagged it yet, and
   * removing the image, or its last tag (which removes the image), would fail
   * that spawn. Returns the note for the error message.
   */
  private async undoLoad(images: LoadedImage[], before: HostImages): Promise<string> {
    if (images.length === 0) return '';
    // This flight counts itself.
    const others = (): boolean => this.flights.size > 1;
    const r = others() ? { undone: [], interrupted: true } : await this.removeLoaded(images, before, others);
    const undid = r.undone.length > 0 ? `; undid what docker load had done (${r.undone.join(', ')})` : '';
    if (!r.interrupted) return undid;
    this.deferredUndos.push({ images, before });
    this.log.warning('a failed download is undone once the other downloads on this host end: one may hold the same image', { docker_image_ids: images.map((i) => i.imageId) });
    return `${undid}; the rest is undone once the other downloads on this host end`;
  }

  /** The images a load brought, from the manifest when it was read, else from what docker load reported. */
  private async loadedImages(fromManifest: readonly LoadedImage[] | null, reported: readonly string[]): Promise<LoadedImage[]> {
    if (fromManifest !== null) return [...fromManifest];
    const out: { imageId: string; repoTags: string[] }[] = [];
    for (const ref of reported) {
      const local = await findLocalImage(this.o.store, ref, AbortSignal.timeout(60_000)).catch(() => null);
      if (local === null) continue;
      const known = out.find((x) => x.imageId === local.id);
      const tags = ref.startsWith('sha256:') ? [] : [ref];
      if (known) known.repoTags.push(...tags);
      else out.push({ imageId: local.id, repoTags: tags });
    }
    return out;
  }

  /** The host's image IDs and where each repo tag points. */
  private async hostImages(signal: AbortSignal): Promise<HostImages> {
    const ids = new Set<string>();
    const tags = new Map<string, string>();
    for (const img of await this.o.store.listImages({}, signal)) {
      ids.add(img.id);
      for (const t of img.repoTags) if (t !== '<none>:<none>') tags.set(t, img.id);
    }
    return { ids, tags };
  }

  /**
   * Undoes what a failed download's `docker load` did, and only that: a repo
   * tag it created is removed, a tag it moved from another image is moved
   * back, and an image is removed only when it was not on the host before and
   * nobody tagged it meanwhile (another Glance image with the same content,
   * spawned at the same time). Best effort; returns what was undone.
   */
  private async removeLoaded(images: readonly LoadedImage[], before: HostImages, othersActive: () => boolean): Promise<{ undone: string[]; interrupted: boolean }> {
    const undone: string[] = [];
    const interrupted = { undone, interrupted: true };
    const attempt = async (what: string, action: () => Promise<boolean | void>): Promise<void> => {
      try {
        if ((await action()) !== false) undone.push(what);
      } catch (err) {
        this.log.warning('could not undo part of a failed download', { action: what, error: isBridgeError(err) ? err.message : String(err) });
      }
    };
    const deadline = (): AbortSignal => AbortSignal.timeout(60_000);
    for (const img of images) {
      for (const tag of img.repoTags) {
        const local = await findLocalImage(this.o.store, tag, deadline()).catch(() => null);
        if (local?.id !== img.imageId) continue;
        const previous = before.tags.get(tag);
        if (previous === img.imageId) continue;
        const { repository, tag: name } = splitReference(tag);
        // Removing an image's last tag removes the image, which another download may have just
        // loaded too and not tagged yet: stop, and finish once no download runs.
        if (previous === undefined && othersActive()) return interrupted;
        // Not forced: an image a container already uses is left alone.
        if (previous === undefined) await attempt(tag, () => this.o.store.removeImage(tag, { force: false }, deadline()));
        else await attempt(`${tag} (back to ${previous.slice(0, 19)})`, () => this.o.store.tagImage(previous, repository, name, deadline()));
      }
      if (before.ids.has(img.imageId)) continue;
      const now = await findLocalImage(this.o.store, img.imageId, deadline()).catch(() => null);
      if (now === null || now.repoTags.some((t) => !img.repoTags.includes(t))) continue;
      if (othersActive()) return interrupted;
      await attempt(img.imageId, () => this.o.store.removeImage(img.imageId, { force: false }, deadline()));
    }
    return { undone, interrupted: false };
  }
}

/** An image a load brought, with the repo tags the archive gave it. */
interface LoadedImage {
  readonly imageId: string;
  readonly repoTags: readonly string[];
}

/** What the host had before a load. */
interface HostImages {
  readonly ids: ReadonlySet<string>;
  /** "repo:tag" → image ID. */
  readonly tags: ReadonlyMap<string, string>;
}

/** "registry:5000/a/b:tag" → repository "registry:5000/a/b", tag "tag" (the colon after the last slash). */
function splitReference(ref: string): { repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repository: ref.slice(0, at), tag: ref.slice(at + 1) } : { repository: ref, tag: 'latest' };
}
