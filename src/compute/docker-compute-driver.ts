/**
 * The compute driver: Nova's ComputeDriver methods carried out on the Docker
 * Engine. Method names follow Nova's; arguments are the validated payloads of
 * ./payloads.ts. Every instance operation is serialized per instance UUID and
 * bounded globally; read-only queries (get_info, list_*) are not queued.
 */
import os from 'node:os';
import { statfs } from 'node:fs/promises';
import type { ContainerDetails, DockerEngine } from '../docker/docker-engine.js';
import { BridgeError, isBridgeError, toBridgeError } from '../errors/bridge-error.js';
import type { HostNetwork } from '../host-network/host-network.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { DriverSettings } from './driver-settings.js';
import { afterStart } from './after-start.js';
import { availableResources, localGbFromLabels, type AvailableResources, type DiskFigures } from './host-resources.js';
import { formatHostUptime } from './host-uptime.js';
import { InstanceRuntime } from './instance-runtime.js';
import type {
  AvailableResourceArgs,
  InitHostArgs,
  InstanceArgs,
  LiveResizeArgs,
  PowerOffArgs,
  RebootArgs,
  SnapshotArgs,
  SpawnArgs,
} from './payloads.js';
import { powerStateFor, type PowerState } from './power-state.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { snapshotInstance, type SnapshotUploader } from './snapshot-instance.js';
import { spawnInstance, type MissingImageHandler } from './spawn-instance.js';
import type { RequestContext } from '../rpc/rpc-endpoint.js';
import { containerName } from './translate/container-name.js';
import { cpuLimits, vcpusFromLimits } from './translate/cpu-limits.js';
import { ephemeralResizeRefusal } from './translate/ephemeral-storage.js';
import { LABEL_INSTANCE_NAME, LABEL_INSTANCE_UUID, managedFilter } from './translate/labels.js';
import { memoryLimits, memoryMbFromLimits } from './translate/memory-limits.js';

/** Nova's hardware.InstanceInfo, as JSON. */
export interface InstanceInfo {
  readonly state: PowerState;
  /** The Docker container ID. */
  readonly internal_id: string;
}

/** What init_host found and did. */
export interface InitHostReport {
  readonly engineVersion: string;
  readonly apiVersion: string;
  readonly reconcile: ReconcileReport;
}

export interface DriverDeps {
  readonly engine: DockerEngine;
  readonly settings: DriverSettings;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Sizes of the filesystem at `path` (default: node:fs statfs). */
  readonly statDisk?: (path: string) => Promise<DiskFigures>;
  /** Fetches an image that is not on the Engine (the Glance download); without it a missing image is ERR_IMAGE_NOT_FOUND. */
  readonly fetchMissingImage?: MissingImageHandler;
  /** Streams a snapshot's committed image into Glance; without it snapshot is ERR_NOT_SUPPORTED. */
  readonly uploadSnapshot?: SnapshotUploader;
  /** The host's network stack, for network_mode neutron (required then). */
  readonly hostNetwork?: HostNetwork;
}

export type { SnapshotUploader } from './snapshot-instance.js';

async function statfsDisk(path: string): Promise<DiskFigures> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

/** Re-labels a failure as `code` unless it says the instance is missing or the request was bad. */
function operationFailure(err: unknown, code: 'ERR_POWER_OFF_FAILED', what: string): BridgeError {
  const e = toBridgeError(err);
  if (e.code === 'ERR_INSTANCE_NOT_FOUND' || e.code === 'ERR_INVALID_ARGUMENT' || e.code === code) return e;
  return new BridgeError(code, `${what}: ${e.message}`, { cause: e, details: { ...e.details, cause_code: e.code } });
}

export class DockerComputeDriver {
  private readonly rt: InstanceRuntime;
  private readonly statDisk: (path: string) => Promise<DiskFigures>;
  private readonly fetchMissingImage: MissingImageHandler | undefined;
  private readonly uploadSnapshot: SnapshotUploader | undefined;

  constructor(deps: DriverDeps) {
    if (deps.settings.networkMode === 'neutron' && deps.hostNetwork === undefined) {
      throw new BridgeError('ERR_CONFIG_INVALID', '[compute] network_mode = neutron needs the Docker Engine on this machine ([docker] host_url = unix://…): Neutron ports are plugged into containers\' network namespaces from here');
    }
    this.rt = new InstanceRuntime(deps.engine, deps.settings, deps.logger, deps.clock ?? systemClock, deps.hostNetwork ?? null);
    this.statDisk = deps.statDisk ?? statfsDisk;
    this.fetchMissingImage = deps.fetchMissingImage;
    this.uploadSnapshot = deps.uploadSnapshot;
  }

  get settings(): DriverSettings {
    return this.rt.settings;
  }

  /** Operations running/waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return this.rt.load;
  }

  private get log(): Logger {
    return this.rt.logger;
  }

  /** Resolves once no background work (a user-data script being followed) runs. */
  backgroundSettled(): Promise<void> {
    return this.rt.backgroundSettled();
  }

  /** At service stop: stops following user-data scripts, which go on in their containers. */
  stopBackground(): Promise<void> {
    return this.rt.stopBackground();
  }

  // ---- service start -------------------------------------------------------------

  /** Checks the Engine (API version), prepares the state directory, reconciles. */
  async init_host(args: InitHostArgs, signal?: AbortSignal): Promise<InitHostReport> {
    if (args.host !== this.settings.host) {
      this.log.warning('init_host for a host name other than [DEFAULT] host; containers are labelled with the configured one', {
        nova_host: args.host,
        configured_host: this.settings.host,
      });
    }
    const version = await this.rt.engine.connect(signal);
    await this.rt.info(signal, true);
    await this.rt.state.ensureRoot();
    if (this.settings.networkMode === 'neutron') await this.rt.hostNetwork?.check(signal);
    const report = await reconcile(this.rt, signal);
    this.log.info('host initialized', {
      engine_version: version.version,
      removed: report.removed.length,
      interrupted: report.interrupted.length,
      orphan_directories: report.orphanDirectories.length,
      replugged: report.replugged.length,
      plug_failures: report.plugFailures.length,
      snapshot_images: report.snapshotImages.length,
    });
    return { engineVersion: version.version, apiVersion: version.apiVersion, reconcile: report };
  }

  // ---- lifecycle -------------------------------------------------------------------

  /** `request` is the caller's RPC context, handed to the missing-image fetcher (Glance needs the user's token). */
  async spawn(args: SpawnArgs, signal?: AbortSignal, request?: RequestContext): Promise<void> {
    await spawnInstance(this.rt, args, signal, { fetchMissing: this.fetchMissingImage, request });
  }

  /** Removes the container and the instance's state; an instance that is already gone is success. */
  async destroy(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    const uuid = args.instance.uuid;
    await this.rt.withInstance(
      uuid,
      'destroy',
      async () => {
        const result = await this.rt.removeInstance(uuid);
        this.log.info(result.removedContainer ? 'instance destroyed' : 'destroy: no container (already gone)', { instance: uuid });
      },
      signal,
    );
  }

  async reboot(args: RebootArgs, signal?: AbortSignal): Promise<void> {
    const uuid = args.instance.uuid;
    await this.rt.withInstance(
      uuid,
      'reboot',
      async () => {
        const c = await this.rt.require(uuid, signal);
        if (c.state.paused) await this.rt.engine.unpauseContainer(c.id, signal);
        await this.rt.state.setSuspended(uuid, false);
        if (args.reboot_type === 'SOFT') {
          // Docker's restart = stop (SIGTERM, SIGKILL after the timeout) + start, in one call.
          await this.rt.engine.restartContainer(c.id, this.settings.softRebootTimeoutSeconds, signal);
        } else {
          try {
            await this.rt.engine.killContainer(c.id, 'SIGKILL', signal);
          } catch (err) {
            // Not running (409): nothing to kill, just start it.
            if (!isBridgeError(err, 'ERR_CONFLICT')) throw err;
          }
          await this.rt.engine.startContainer(c.id, signal);
        }
        await afterStart(this.rt, uuid, await this.rt.waitRunning(c.id, `${args.reboot_type.toLowerCase()} reboot of instance ${uuid}`, signal), signal);
        this.log.info('instance rebooted', { instance: uuid, reboot_type: args.reboot_type });
      },
      signal,
    );
  }

  /** SIGTERM, then SIGKILL after `timeout` seconds (0: at once, Nova's forced stop). */
  async power_off(args: PowerOffArgs, signal?: AbortSignal): Promise<void> {
    const uuid = args.instance.uuid;
    await this.rt
      .withInstance(
        uuid,
        'power_off',
        async () => {
          const { container: c, foreign } = await this.rt.lookup(uuid, signal);
          if (c === null) {
            if (foreign !== null) await this.rt.require(uuid, signal); // the clear "not ours" error
            // Already off, as libvirt treats a missing domain: Nova's stop, rebuild and soft delete
            // power off first, and InstanceNotFound would strand them (rebuild stays REBUILDING).
            this.log.warning('power_off: no container (already gone); nothing to stop', { instance: uuid });
            return;
          }
          // Docker stops paused containers too (it thaws them to deliver the signal).
          await this.rt.engine.stopContainer(c.id, args.timeout, signal);
          await this.rt.unplugQuietly(uuid, signal);
          await this.rt.state.setSuspended(uuid, false);
          this.log.info('instance powered off', { instance: uuid, timeout: args.timeout });
        },
        signal,
      )
      .catch((err: unknown) => {
        throw operationFailure(err, 'ERR_POWER_OFF_FAILED', `power_off of instance ${uuid} failed`);
      });
  }

  async power_on(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    const uuid = args.instance.uuid;
    await this.rt.withInstance(
      uuid,
      'power_on',
      async () => {
        const c = await this.rt.require(uuid, signal);
        if (c.state.paused) await this.rt.engine.unpauseContainer(c.id, signal);
        else await this.rt.engine.startContainer(c.id, signal);
        await this.rt.state.setSuspended(uuid, false);
        await afterStart(this.rt, uuid, await this.rt.waitRunning(c.id, `power_on of instance ${uuid}`, signal), signal);
        this.log.info('instance powered on', { instance: uuid });
      },
      signal,
    );
  }

  async pause(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    await this.freeze(args.instance.uuid, 'pause', false, signal);
  }

  async unpause(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    await this.thaw(args.instance.uuid, 'unpause', signal);
  }

  /**
   * Suspend = pause (the cgroup freezer) plus a marker, so get_info reports
   * SUSPENDED. Docker has no supported checkpoint/restore, so the memory stays
   * in RAM and a suspended container does not survive an Engine restart.
   */
  async suspend(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    await this.freeze(args.instance.uuid, 'suspend', true, signal);
  }

  async resume(args: InstanceArgs, signal?: AbortSignal): Promise<void> {
    await this.thaw(args.instance.uuid, 'resume', signal);
  }

  private async freeze(uuid: string, operation: 'pause' | 'suspend', suspended: boolean, signal?: AbortSignal): Promise<void> {
    await this.rt.withInstance(
      uuid,
      operation,
      async () => {
        const c = await this.rt.require(uuid, signal);
        if (!c.state.paused) {
          if (c.state.status !== 'running') throw this.notRunning(uuid, operation, c);
          await this.rt.engine.pauseContainer(c.id, signal);
        }
        await this.rt.state.setSuspended(uuid, suspended);
        this.log.info(`instance ${operation === 'pause' ? 'paused' : 'suspended'}`, { instance: uuid });
      },
      signal,
    );
  }

  private async thaw(uuid: string, operation: 'unpause' | 'resume', signal?: AbortSignal): Promise<void> {
    await this.rt.withInstance(
      uuid,
      operation,
      async () => {
        const c = await this.rt.require(uuid, signal);
        if (c.state.paused) {
          await this.rt.engine.unpauseContainer(c.id, signal);
        } else if (operation === 'resume' && (c.state.status === 'exited' || c.state.status === 'created') && (await this.rt.state.isSuspended(uuid))) {
          // The Engine restarted while the instance was suspended (a frozen container does not survive that): boot it again.
          await this.rt.engine.startContainer(c.id, signal);
          await afterStart(this.rt, uuid, await this.rt.waitRunning(c.id, `resume of instance ${uuid}`, signal), signal);
        } else if (c.state.status !== 'running') {
          throw this.notRunning(uuid, operation, c);
        }
        await this.rt.state.setSuspended(uuid, false);
        this.log.info(`instance ${operation === 'unpause' ? 'unpaused' : 'resumed'}`, { instance: uuid });
      },
      signal,
    );
  }

  private notRunning(uuid: string, operation: string, c: ContainerDetails): BridgeError {
    return new BridgeError('ERR_CONFLICT', `cannot ${operation} instance ${uuid}: its container is ${c.state.status}, not running`, {
      details: { instance_uuid: uuid, status: c.state.status },
    });
  }

  /** Changes CPU and memory limits of a live container to a new flavor's (docker update). */
  async live_resize(args: LiveResizeArgs, signal?: AbortSignal): Promise<void> {
    const uuid = args.instance.uuid;
    await this.rt.withInstance(
      uuid,
      'live_resize',
      async () => {
        const c = await this.rt.require(uuid, signal);
        const s = this.settings;
        const mounted = s.ephemeralMountPoint !== null && c.mounts.some((m) => m.target === s.ephemeralMountPoint);
        const refusal = ephemeralResizeRefusal(args.flavor.name, args.flavor.ephemeral_gb, s.ephemeralMountPoint, mounted);
        if (refusal !== null) throw new BridgeError('ERR_CONFLICT', `cannot resize instance ${uuid}: ${refusal}`, { details: { instance_uuid: uuid } });
        const info = await this.rt.info(signal);
        const cpu = cpuLimits(args.flavor.vcpus, { mode: s.cpuLimitMode, periodUs: s.cpuPeriodUs, sharesPerVcpu: s.cpuSharesPerVcpu, hostCpus: info.ncpu });
        const mem = memoryLimits(args.flavor.memory_mb, args.flavor.swap, s.swapFromFlavor);
        // Growing memory with swap: Docker checks Memory <= MemorySwap on each field, so send both together.
        await this.rt.engine.updateContainer(c.id, { ...cpu, ...mem }, signal);
        await this.rt.state.setResizedDisk(uuid, { rootGb: args.flavor.root_gb, ephemeralGb: args.flavor.ephemeral_gb });
        this.log.info('instance resized', { instance: uuid, vcpus: args.flavor.vcpus, memory_mb: args.flavor.memory_mb });
      },
      signal,
    );
  }

  /**
   * Nova's snapshot: `docker commit` of the container, its `docker save`
   * streamed into the (queued) Glance image `image_id` Nova created, verified
   * against Glance's hashes. `request` carries the caller's token for Glance.
   */
  async snapshot(args: SnapshotArgs, signal?: AbortSignal, request?: RequestContext): Promise<void> {
    await snapshotInstance(this.rt, args, this.uploadSnapshot, request, signal);
  }

  // ---- queries -------------------------------------------------------------------

  async get_info(args: InstanceArgs, signal?: AbortSignal): Promise<InstanceInfo> {
    const uuid = args.instance.uuid;
    const c = await this.rt.require(uuid, signal);
    const suspended = c.state.status === 'paused' && (await this.rt.state.isSuspended(uuid));
    const { state, known } = powerStateFor(c.state.status, suspended);
    if (!known) this.log.warning('unknown Docker container state; reporting NOSTATE', { instance: uuid, docker_state: c.state.status });
    return { state, internal_id: c.id };
  }

  async instance_exists(args: InstanceArgs, signal?: AbortSignal): Promise<boolean> {
    return (await this.rt.lookup(args.instance.uuid, signal)).container !== null;
  }

  /** Nova instance names (instance-0000000e) of our containers; the container name when Nova sent none. */
  async list_instances(signal?: AbortSignal): Promise<string[]> {
    const cs = await this.rt.engine.listContainers(managedFilter(this.settings.host), signal);
    return cs.map((c) => c.labels[LABEL_INSTANCE_NAME] || c.name).sort();
  }

  async list_instance_uuids(signal?: AbortSignal): Promise<string[]> {
    const cs = await this.rt.engine.listContainers(managedFilter(this.settings.host), signal);
    return cs.map((c) => c.labels[LABEL_INSTANCE_UUID]).filter((u): u is string => u !== undefined).sort();
  }

  /** The last lines of the container's output (bounded by console_log_lines and console_log_max_bytes). */
  async get_console_output(args: InstanceArgs, signal?: AbortSignal): Promise<string> {
    const c = await this.rt.require(args.instance.uuid, signal);
    const out = await this.rt.engine.containerLogs(c.id, { tailLines: this.settings.consoleLogLines, maxBytes: this.settings.consoleLogMaxBytes }, signal);
    return out.toString('utf8');
  }

  /** `uptime`-style line for the machine this service runs on. */
  get_host_uptime(): string {
    return formatHostUptime(new Date(), os.uptime(), os.loadavg());
  }

  async get_available_resource(args: AvailableResourceArgs, signal?: AbortSignal): Promise<AvailableResources> {
    if (args.nodename !== null && args.nodename !== this.settings.host) {
      throw new BridgeError('ERR_INVALID_ARGUMENT', `nodename ${JSON.stringify(args.nodename)} is not served here: this service is host ${JSON.stringify(this.settings.host)} ([DEFAULT] host must equal nova.conf host)`, {
        details: { field: 'nodename' },
      });
    }
    const [info, version, summaries] = await Promise.all([
      this.rt.info(signal, true),
      this.rt.engine.version(signal),
      this.rt.engine.listContainers(managedFilter(this.settings.host), signal),
    ]);
    let vcpus = 0;
    let memoryMb = 0;
    let localGb = 0;
    // Limits live in HostConfig (not in the list): inspect a few at a time.
    const queue = [...summaries];
    const worker = async (): Promise<void> => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        let c: ContainerDetails;
        try {
          c = await this.rt.engine.inspectContainer(s.id, signal);
        } catch (err) {
          if (isBridgeError(err, 'ERR_INSTANCE_NOT_FOUND')) continue; // removed meanwhile
          throw err;
        }
        vcpus += vcpusFromLimits(c.resources, this.settings.cpuSharesPerVcpu);
        memoryMb += memoryMbFromLimits(c.resources);
        // A live resize's sizes, where one happened: the labels keep the spawn's.
        const uuid = c.labels[LABEL_INSTANCE_UUID];
        const resized = uuid === undefined ? null : await this.rt.state.readResizedDisk(uuid);
        localGb += resized === null ? localGbFromLabels(c.labels) : resized.rootGb + resized.ephemeralGb;
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
    let disk: DiskFigures | null = null;
    if (this.settings.engineIsLocal) {
      try {
        disk = await this.statDisk(info.dockerRootDir);
      } catch (err) {
        this.log.warning('cannot measure the Docker root filesystem; reporting 0 GB', { path: info.dockerRootDir, err });
      }
    }
    const cpuModel = this.settings.engineIsLocal ? (os.cpus()[0]?.model ?? null) : null;
    return availableResources({ host: this.settings.host, info, version, disk, used: { vcpus, memoryMb, localGb }, cpuModel });
  }

  /** The container name an instance gets (for tools and tests). */
  static containerName(uuid: string): string {
    return containerName(uuid);
  }
}
