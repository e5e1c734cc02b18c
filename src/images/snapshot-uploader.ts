/**
 * Snapshots to Glance: once the image record Nova created for the snapshot is
 * known to be usable (queued; formats set to docker/raw), the container is
 * committed and the image's `docker save` streamed into that record, hashed and
 * inspected on the way (uploadArchiveData), verified against Glance's hashes,
 * then described like an import (docker_image_id, architecture, …) plus what
 * Nova's own snapshot upload records (image_location=snapshot,
 * image_state=available, owner_id).
 *
 *   POST /images/{id}/get (docker save) ─▶ SideTee ──▶ PUT /v2/images/{id}/file
 *                                            ├─▶ WorkerDigestSink (md5, sha512 in worker threads)
 *                                            └─▶ ArchiveInspector
 *
 * On failure the record is left as it is: Nova deletes a failed snapshot's
 * image itself (compute manager, @delete_image_on_error); Glance has already
 * put an interrupted upload back to queued.
 */
import { BridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { GlanceClient } from '../openstack/glance-client.js';
import type { JsonPatchOp } from '../openstack/json-patch.js';
import type { RequestCredentials } from './glance-access.js';
import type { LocalImageStore } from './local-image-store.js';
import { uploadArchiveData, type UploadArchiveResult } from './upload-archive.js';

export interface SnapshotUploaderOptions {
  readonly store: Pick<LocalImageStore, 'saveImage'>;
  /** A Glance client for a request (see GlanceAccess). */
  readonly glanceFor: (req: RequestCredentials, signal?: AbortSignal) => Promise<GlanceClient>;
  readonly logger?: Logger;
}

/** Where one snapshot goes, and how its data comes to be. */
export interface SnapshotTarget {
  /** The queued Glance image Nova created. */
  readonly glanceImageId: string;
  /** The instance's project: Nova records it as `owner_id`. */
  readonly projectId: string | null;
  /** Commits the container; called once the Glance record proved usable. Returns the committed image ID ("sha256:…"). */
  readonly commit: () => Promise<string>;
}

export class SnapshotUploader {
  private readonly log: Logger;

  constructor(private readonly o: SnapshotUploaderOptions) {
    this.log = o.logger ?? silentLogger;
  }

  async upload(target: SnapshotTarget, req: RequestCredentials, signal?: AbortSignal): Promise<UploadArchiveResult> {
    const id = target.glanceImageId;
    const glance = await this.o.glanceFor(req, signal);
    let image = await glance.getImage(id, signal);
    if (image.status !== 'queued') {
      throw new BridgeError('ERR_CONFLICT', `Glance image ${id} is ${image.status}: a snapshot fills the queued image Nova created for it, and this one is not queued`, {
        details: { image_id: id, status: image.status },
      });
    }
    // Nova copies the formats of the instance's image (or none): the data is a docker save archive.
    const formats: JsonPatchOp[] = [];
    if (image.containerFormat !== 'docker') formats.push({ op: 'replace', path: '/container_format', value: 'docker' });
    if (image.diskFormat !== 'raw') formats.push({ op: 'replace', path: '/disk_format', value: 'raw' });
    if (formats.length > 0) image = await glance.updateImage(id, formats, signal);

    const dockerImageId = await target.commit();
    const started = Date.now();
    const stream = await this.o.store.saveImage(dockerImageId, signal);
    this.log.info('uploading snapshot to Glance', { image_id: id, docker_image_id: dockerImageId, endpoint: glance.endpoint });
    const result = await uploadArchiveData(image, {
      glance,
      source: { stream, length: null, description: `docker image ${dockerImageId.slice(0, 19)} (snapshot)` },
      // Nova named the image; an unnamed one stays unnamed.
      name: image.name ?? '',
      userProperties: {},
      extraProperties: {
        // Inherited from the base image by Nova, and wrong for a commit (it has no tags).
        docker_repo_tags: null,
        hypervisor_type: 'docker',
        vm_mode: 'exe',
        image_location: 'snapshot',
        image_state: 'available',
        ...(target.projectId === null ? {} : { owner_id: target.projectId }),
      },
      allowUnloadable: false,
      // The service's event loop answers RPC calls while a snapshot uploads.
      hashing: 'worker',
      wait: false,
      ...(signal ? { signal } : {}),
    });
    if (result.archive.imageId !== dockerImageId) {
      throw new BridgeError('ERR_DOCKER', `docker save of ${dockerImageId} produced an archive of image ${result.archive.imageId}`, { details: { image_id: id } });
    }
    this.log.info('snapshot uploaded and verified', { image_id: id, bytes: result.digests.bytes, seconds: (Date.now() - started) / 1000 });
    return result;
  }
}
