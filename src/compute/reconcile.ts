/**
 * Start-up reconciliation (init_host): find what a crash left mid-operation.
 *
 * - A container whose instance still carries a `spawn` marker was never
 *   reported as spawned to Nova (the call failed or timed out there): it is
 *   removed with its state directory. Nova retries or destroys on its side.
 * - Other interrupted operations (reboot, power_off, …) are reported; the next
 *   get_info tells Nova the real state. Their markers are cleared.
 * - A state directory without a container is left over from a spawn that died
 *   before create, or a destroy that died after removing the container: removed.
 * - A running instance whose Neutron ports are not in its current network
 *   namespace (the service stopped between the container's start and the
 *   plug, or something outside Nova restarted it) gets them plugged; one that
 *   cannot be plugged is reported, not fatal: the next start retries.
 * - A running instance whose user data was recorded but not started (the
 *   service stopped between the container's start and the scripts') runs it.
 * - A container of ours without a state directory is reported (its hosts file
 *   mount is gone, so it will not start again until destroyed and re-spawned).
 * - A temporary image a snapshot committed (our snapshot label, our host,
 *   untagged) outlived its snapshot: removed. Images loaded from Glance carry
 *   the same label but are tagged, and an image a container uses is refused
 *   by the Engine (no force), so neither is touched.
 */
import type { ContainerSummary } from '../docker/docker-engine.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { plugInstanceNetwork } from './after-start.js';
import { startPendingUserData } from './run-user-data.js';
import { isBridgeError } from '../errors/bridge-error.js';
import { LABEL_INSTANCE_UUID, LABEL_MANAGED_BY, LABEL_SNAPSHOT_IMAGE, managedFilter } from './translate/labels.js';

export interface ReconcileReport {
  /** Half-made containers removed (instance UUID, Docker status at the time). */
  readonly removed: ReadonlyArray<{ readonly uuid: string; readonly status: string }>;
  /** Operations a crash interrupted on instances that were kept. */
  readonly interrupted: ReadonlyArray<{ readonly uuid: string; readonly operation: string; readonly status: string }>;
  /** State directories without a container, removed. */
  readonly orphanDirectories: readonly string[];
  /** Running instances whose Neutron ports were plugged again (their namespace did not have them). */
  readonly replugged: readonly string[];
  /** Running instances whose ports could not be plugged, with the reason; they run without them. */
  readonly plugFailures: ReadonlyArray<{ readonly uuid: string; readonly code: string; readonly message: string }>;
  /** Our containers without a state directory. */
  readonly missingState: readonly string[];
  /** Temporary snapshot images removed (Docker image IDs). */
  readonly snapshotImages: readonly string[];
}

export async function reconcile(rt: InstanceRuntime, signal?: AbortSignal): Promise<ReconcileReport> {
  const containers = await rt.engine.listContainers(managedFilter(rt.settings.host), signal);
  const byUuid = new Map<string, ContainerSummary>();
  for (const c of containers) {
    const uuid = c.labels[LABEL_INSTANCE_UUID];
    if (uuid !== undefined) byUuid.set(uuid, c);
  }
  const dirs = new Set(await rt.state.list());
  const removed: Array<{ uuid: string; status: string }> = [];
  const interrupted: Array<{ uuid: string; operation: string; status: string }> = [];
  const orphanDirectories: string[] = [];
  const replugged: string[] = [];
  const plugFailures: Array<{ uuid: string; code: string; message: string }> = [];
  const log = rt.logger.child({}, 'reconcile');

  for (const uuid of dirs) {
    await rt.withInstance(
      uuid,
      'reconcile',
      async () => {
        // Looked up again under the lock: init_host also arrives over RPC while the service runs,
        // and a spawn that held the lock may have created the container since the list above.
        const marker = await rt.state.readOperation(uuid);
        const { container } = await rt.lookup(uuid, signal);
        if (container === null) {
          await rt.state.remove(uuid);
          orphanDirectories.push(uuid);
          log.warning('removed a state directory without a container', { instance: uuid, interrupted_operation: marker?.operation ?? null });
          return;
        }
        if (marker?.operation !== 'spawn' && container.state.status === 'running') {
          try {
            if (await plugInstanceNetwork(rt, uuid, container, signal)) {
              replugged.push(uuid);
              log.warning('plugged the Neutron ports of a running instance whose namespace did not have them', { instance: uuid });
            }
          } catch (err) {
            // One instance's port must not keep the service from starting; the next start plugs again.
            if (!isBridgeError(err, 'ERR_VIF_PLUG_FAILED')) throw err;
            plugFailures.push({ uuid, code: err.code, message: err.message });
            log.error('could not plug the Neutron ports of a running instance; it runs without them until its next start', { instance: uuid, error: err.code, reason: err.message });
          }
          if (await startPendingUserData(rt, container.id, uuid)) {
            // Started, but the service stopped before it ran the user data.
            log.warning('running the user data of an instance a restart interrupted before it ran', { instance: uuid });
          }
        }
        if (marker === null) return;
        if (marker.operation === 'spawn') {
          await rt.removeInstance(uuid);
          removed.push({ uuid, status: container.state.status });
          log.warning('removed a container left half-made by an interrupted spawn', { instance: uuid, status: container.state.status, started_at: marker.startedAt });
          return;
        }
        await rt.state.clearOperation(uuid);
        interrupted.push({ uuid, operation: marker.operation, status: container.state.status });
        log.warning('an operation was interrupted by a restart; the instance is kept', { instance: uuid, operation: marker.operation, status: container.state.status });
      },
      signal,
      { marker: false },
    );
  }
  const missingState = [...byUuid.keys()].filter((u) => !dirs.has(u));
  for (const uuid of missingState) log.warning('container has no state directory (its /etc/hosts mount is missing)', { instance: uuid });
  const snapshotImages = await removeSnapshotLeftovers(rt, log, signal);
  return { removed, interrupted, orphanDirectories, replugged, plugFailures, missingState, snapshotImages };
}

async function removeSnapshotLeftovers(rt: InstanceRuntime, log: InstanceRuntime['logger'], signal: AbortSignal | undefined): Promise<string[]> {
  const images = await rt.engine.listImages({ labels: { [LABEL_SNAPSHOT_IMAGE]: null, [LABEL_MANAGED_BY]: rt.settings.host } }, signal);
  const removed: string[] = [];
  for (const img of images) {
    // Older API versions list an untagged image as "<none>:<none>".
    if (img.repoTags.some((t) => t !== '<none>:<none>')) continue;
    try {
      if (await rt.engine.removeImage(img.id, { force: false }, signal)) {
        removed.push(img.id);
        log.warning('removed a temporary snapshot image an interrupted snapshot left', { docker_image_id: img.id, glance_image_id: img.labels[LABEL_SNAPSHOT_IMAGE] ?? null });
      }
    } catch (err) {
      if (!isBridgeError(err, 'ERR_CONFLICT')) throw err;
      log.info('an untagged snapshot image is in use by a container; kept', { docker_image_id: img.id });
    }
  }
  return removed;
}
