/**
 * What every driver operation shares: the Engine, settings, per-instance state,
 * per-instance serialization with a global bound, and the lookup of "our"
 * container for an instance. Operation modules (spawn, power, reconcile…) take
 * one of these instead of reaching into the driver class.
 */
import type { ContainerDetails, DockerEngine, EngineInfo } from '../docker/docker-engine.js';
import { BridgeError, isBridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import { withDeadline } from '../util/abort.js';
import type { Clock } from '../util/clock.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { Semaphore } from '../util/semaphore.js';
import type { HostNetwork } from '../host-network/host-network.js';
import type { DriverSettings } from './driver-settings.js';
import { ImageFileCache } from './image-file-cache.js';
import { InstanceStateDirs } from './instance-state-dir.js';
import { containerName } from './translate/container-name.js';
import { isManaged } from './translate/labels.js';

/** Deadline for clean-up work that must run even after the caller's signal aborted. */
const CLEANUP_DEADLINE_MS = 120_000;

export class InstanceRuntime {
  readonly state: InstanceStateDirs;
  /** Files read from images (authorized_keys, passwd), by image ID. */
  readonly imageFiles = new ImageFileCache();
  private readonly mutex = new KeyedMutex();
  private readonly slots: Semaphore;
  private engineInfo: EngineInfo | null = null;
  private readonly background = new Set<Promise<void>>();
  private readonly backgroundStop = new AbortController();

  constructor(
    readonly engine: DockerEngine,
    readonly settings: DriverSettings,
    readonly logger: Logger,
    readonly clock: Clock,
    /** The host's network stack (plugging Neutron ports); null when the Engine is elsewhere. */
    readonly hostNetwork: HostNetwork | null = null,
  ) {
    this.state = new InstanceStateDirs(settings.stateDir);
    this.slots = new Semaphore(settings.maxConcurrentOperations);
  }

  /**
   * Starts work that outlives the operation that began it (following a
   * user-data script), outside the per-instance lock and the slots. `task`
   * gets a signal that {@link stopBackground} aborts; it must not throw.
   */
  runInBackground(task: (signal: AbortSignal) => Promise<void>): void {
    const p = task(this.backgroundStop.signal).catch((err: unknown) => this.logger.error('background work failed', { err }));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Resolves once no background work runs (for tests). */
  async backgroundSettled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** At service stop: aborts the background work and waits for it to end. */
  async stopBackground(): Promise<void> {
    this.backgroundStop.abort(new BridgeError('ERR_ABORTED', 'the compute service is stopping'));
    await this.backgroundSettled();
  }

  /** Operations holding or waiting for a slot (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.slots.inUse, waiting: this.slots.waiting };
  }

  /**
   * Runs `fn` for one instance: after every earlier operation on the same
   * instance, within the global concurrency bound, with an operation marker in
   * the instance's state directory (when it has one) so a crash is detectable.
   * The per-instance lock is taken before the slot, so operations queued behind
   * a busy instance never occupy slots other instances could use. `beforeSlot`
   * runs under the lock but before the slot is taken, its result handed to
   * `fn`: for long waits that are not Engine work (a spawn waiting for its
   * image to download), which would otherwise hold a slot other instances'
   * destroys and reboots need.
   */
  withInstance<T, P = undefined>(
    uuid: string,
    operation: string,
    fn: (prepared: P) => Promise<T>,
    signal?: AbortSignal,
    options: { marker?: boolean; beforeSlot?: () => Promise<P> } = {},
  ): Promise<T> {
    return this.mutex.run(
      uuid,
      async () => {
        const prepared = options.beforeSlot === undefined ? (undefined as P) : await options.beforeSlot();
        return this.slots.run(async () => {
          const marker = options.marker ?? true;
          if (marker) await this.state.markOperation(uuid, operation);
          try {
            return await fn(prepared);
          } finally {
            if (marker) await this.state.clearOperation(uuid).catch((err: unknown) => this.logger.warning('could not clear operation marker', { instance: uuid, err }));
          }
        }, signal);
      },
      signal,
    );
  }

  /** Engine facts (CPUs, root dir), fetched once and refreshed by get_available_resource. */
  async info(signal?: AbortSignal, refresh = false): Promise<EngineInfo> {
    if (this.engineInfo === null || refresh) this.engineInfo = await this.engine.info(signal);
    return this.engineInfo;
  }

  /**
   * The instance's container if it exists and is ours (managed-by label with our
   * host, instance-uuid label matching); null when there is none. A container
   * with our name that is not ours is never touched: `foreign` reports it.
   */
  async lookup(uuid: string, signal?: AbortSignal): Promise<{ container: ContainerDetails | null; foreign: ContainerDetails | null }> {
    let c: ContainerDetails;
    try {
      c = await this.engine.inspectContainer(containerName(uuid), signal);
    } catch (err) {
      if (isBridgeError(err, 'ERR_INSTANCE_NOT_FOUND')) return { container: null, foreign: null };
      throw err;
    }
    return isManaged(c.labels, this.settings.host, uuid) ? { container: c, foreign: null } : { container: null, foreign: c };
  }

  /** Our container for the instance, or ERR_INSTANCE_NOT_FOUND. */
  async require(uuid: string, signal?: AbortSignal): Promise<ContainerDetails> {
    const { container, foreign } = await this.lookup(uuid, signal);
    if (container) return container;
    if (foreign) {
      throw new BridgeError('ERR_INSTANCE_NOT_FOUND', `instance ${uuid}: container ${foreign.name} exists but is not managed by this service (host ${this.settings.host}); it is left alone`, {
        details: { instance_uuid: uuid },
      });
    }
    throw new BridgeError('ERR_INSTANCE_NOT_FOUND', `instance ${uuid} has no container on host ${this.settings.host}`, { details: { instance_uuid: uuid } });
  }

  /**
   * Waits until the container runs. Docker's start returns once the process is
   * started, so the first inspect normally settles it; the loop only covers a
   * transient state. A container whose command already ended is a failure,
   * reported with its exit code and last log lines.
   */
  async waitRunning(id: string, what: string, signal?: AbortSignal): Promise<ContainerDetails> {
    if (this.settings.startGraceMs > 0) await this.graceForEarlyExit(id, signal);
    const deadline = this.clock.now() + this.settings.startWaitMs;
    for (let attempt = 0; ; attempt += 1) {
      const c = await this.engine.inspectContainer(id, signal);
      if (c.state.status === 'running') return c;
      if (c.state.status === 'exited' || c.state.status === 'dead') {
        const tail = await this.engine.containerLogs(id, { tailLines: 20, maxBytes: 2000 }, signal).catch(() => Buffer.alloc(0));
        const log = tail.toString('utf8').trim();
        throw new BridgeError(
          'ERR_DEPLOY_FAILED',
          `${what}: the container's command exited at once with code ${c.state.exitCode}${c.state.oomKilled ? ' (killed: out of memory)' : ''}${c.state.error ? ` (${c.state.error})` : ''}${log ? `; last output: ${log.slice(-500)}` : ''}`,
          { details: { exit_code: c.state.exitCode, status: c.state.status } },
        );
      }
      if (this.clock.now() >= deadline) {
        throw new BridgeError('ERR_TIMEOUT', `${what}: container still "${c.state.status}" after ${this.settings.startWaitMs} ms`, { details: { status: c.state.status } });
      }
      await this.clock.sleep(Math.min(200, 10 * 2 ** attempt), signal);
    }
  }

  /**
   * Gives a just-started container `startGraceMs` to show that its command dies
   * at once (a missing binary under init, a crashing entrypoint): Docker's wait
   * API answers the moment it stops, so a healthy container costs the grace
   * period and a failing one only as long as it lives.
   */
  private async graceForEarlyExit(id: string, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const bounded = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    try {
      await Promise.race([
        this.engine.waitContainerExit(id, bounded).catch(() => undefined),
        this.clock.sleep(this.settings.startGraceMs, bounded).catch(() => undefined),
      ]);
    } finally {
      stop.abort();
    }
  }

  /**
   * Removes everything of an instance: its container (only if ours) and its
   * state directory. Used by destroy and by failed spawns; runs under its own
   * deadline because the caller's signal may already have aborted.
   */
  async removeInstance(uuid: string): Promise<{ removedContainer: string | null; foreign: string | null }> {
    const signal = withDeadline(undefined, CLEANUP_DEADLINE_MS);
    const { container, foreign } = await this.lookup(uuid, signal);
    let removed: string | null = null;
    if (container) {
      try {
        await this.engine.removeContainer(container.id, { force: true }, signal);
        removed = container.id;
      } catch (err) {
        if (!isBridgeError(err, 'ERR_INSTANCE_NOT_FOUND')) throw err;
      }
    }
    if (foreign) this.logger.warning('container with the instance\'s name is not managed by this service: left alone', { instance: uuid, container: foreign.name });
    await this.unplugQuietly(uuid, signal);
    await this.state.remove(uuid);
    return { removedContainer: removed, foreign: foreign?.name ?? null };
  }

  /**
   * Deletes the host ends of the instance's veth pairs. They vanish with the
   * container's namespace, but the kernel frees a namespace asynchronously
   * (the device lingers a moment after a stop), and a crash can leave one.
   * Called after a stop and at removal, so Neutron's agent sees the port go
   * at once. Never fails (logged).
   */
  async unplugQuietly(uuid: string, signal?: AbortSignal): Promise<void> {
    if (this.hostNetwork === null) return;
    try {
      const interfaces = await this.state.readNetworkPlan(uuid);
      if (interfaces !== null && interfaces.length > 0) await this.hostNetwork.unplug(interfaces.map((i) => i.hostDevice), signal);
    } catch (err) {
      this.logger.warning('could not remove the instance\'s host network devices', { instance: uuid, err });
    }
  }
}
