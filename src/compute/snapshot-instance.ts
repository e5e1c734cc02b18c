/**
 * snapshot: the instance's container → `docker commit` (a temporary, untagged,
 * labelled image) → its `docker save` streamed into the Glance image Nova
 * created → the temporary image removed, whatever happened.
 *
 * Only the commit needs the instance (it runs serialized with the instance's
 * other operations, the container frozen meanwhile); the upload needs only
 * the committed image, so a long upload does not hold the instance.
 * Nova's update_task_state steps are the shim's (docs/bus-api.md): this is
 * one long call.
 */
import { BridgeError, toBridgeError } from '../errors/bridge-error.js';
import type { RequestContext } from '../rpc/rpc-endpoint.js';
import { withDeadline } from '../util/abort.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { Instance, SnapshotArgs } from './payloads.js';
import { LABEL_MANAGED_BY, LABEL_SNAPSHOT_IMAGE } from './translate/labels.js';

/** One snapshot, as the upload sees it. */
export interface SnapshotJob {
  /** The Glance image Nova created for the snapshot (queued). */
  readonly glanceImageId: string;
  readonly instance: Instance;
  /**
   * Commits the instance's container (once; later calls return the same
   * image) and returns the committed image's ID ("sha256:…"). The upload
   * calls it once the Glance record proved usable, so a bad record costs no
   * commit.
   */
  commit(): Promise<string>;
}

/**
 * Streams a snapshot into its Glance image (the images module's
 * SnapshotUploader, wired by the composition root). `request` is the caller's
 * RPC context: Glance is called with its token.
 */
export type SnapshotUploader = (job: SnapshotJob, request: RequestContext | undefined, signal?: AbortSignal) => Promise<void>;

const CLEANUP_DEADLINE_MS = 120_000;

/** Adds what Nova's failure mapping names (instance, image) to a failure. */
function snapshotFailure(err: unknown, uuid: string, imageId: string): BridgeError {
  const e = toBridgeError(err);
  return new BridgeError(e.code, e.message, { cause: e.cause ?? e, details: { instance_uuid: uuid, image_id: imageId, ...e.details } });
}

export async function snapshotInstance(rt: InstanceRuntime, args: SnapshotArgs, upload: SnapshotUploader | undefined, request: RequestContext | undefined, signal?: AbortSignal): Promise<void> {
  const uuid = args.instance.uuid;
  const log = rt.logger.child({ instance: uuid, image_id: args.image_id });
  if (upload === undefined) {
    throw new BridgeError('ERR_NOT_SUPPORTED', 'snapshot is not available: this service has no Glance access wired', { details: { instance_uuid: uuid } });
  }
  const started = rt.clock.now();
  // Set by commit(), read by the clean-up below (an object: TypeScript does not track closure writes to locals).
  const done: { commit: Promise<string> | null; imageId: string | null } = { commit: null, imageId: null };
  const commit = (): Promise<string> => {
    done.commit ??= rt
      .withInstance(
        uuid,
        'snapshot',
        async () => {
          const c = await rt.require(uuid, signal);
          const id = await rt.engine.commitContainer(
            c.id,
            {
              labels: { [LABEL_SNAPSHOT_IMAGE]: args.image_id, [LABEL_MANAGED_BY]: rt.settings.host },
              comment: `nova-docker-bridge snapshot of instance ${uuid} for Glance image ${args.image_id}`,
              pause: true,
            },
            signal,
          );
          done.imageId = id;
          return id;
        },
        signal,
      )
      .then((id) => {
        log.info('container committed for a snapshot', { docker_image_id: id, ms: Math.round(rt.clock.now() - started) });
        return id;
      });
    return done.commit;
  };
  try {
    await upload({ glanceImageId: args.image_id, instance: args.instance, commit }, request, signal);
  } catch (err) {
    const failure = snapshotFailure(err, uuid, args.image_id);
    log.warning('snapshot failed; the Glance image is left to Nova, which deletes it', { code: failure.code, err: failure.message });
    throw failure;
  } finally {
    // A commit still running (the upload failed on its own) must end before its image can go.
    await done.commit?.catch(() => undefined);
    // The committed image was only the source of the upload: it goes, whatever happened (its own deadline: the caller's signal may have aborted).
    if (done.commit !== null) await removeCommitted(rt, args.image_id, done.imageId, log);
  }
  log.info('instance snapshot uploaded', { ms: Math.round(rt.clock.now() - started) });
}

/**
 * Removes the temporary image: by ID when the commit answered, else by its
 * labels (a commit cancelled on our side may still have completed in the
 * Engine). Best effort; start-up reconciliation catches what stays.
 */
async function removeCommitted(rt: InstanceRuntime, glanceImageId: string, imageId: string | null, log: InstanceRuntime['logger']): Promise<void> {
  const signal = withDeadline(undefined, CLEANUP_DEADLINE_MS);
  try {
    let ids = imageId === null ? [] : [imageId];
    if (imageId === null) {
      const found = await rt.engine.listImages({ labels: { [LABEL_SNAPSHOT_IMAGE]: glanceImageId, [LABEL_MANAGED_BY]: rt.settings.host } }, signal);
      ids = found.filter((i) => !i.repoTags.some((t) => t !== '<none>:<none>')).map((i) => i.id);
    }
    for (const id of ids) await rt.engine.removeImage(id, { force: false }, signal);
  } catch (err) {
    log.error('could not remove the temporary snapshot image; start-up reconciliation removes it', { docker_image_id: imageId, err: toBridgeError(err).message });
  }
}
