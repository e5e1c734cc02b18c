/**
 * Per-instance state on the host, under `[compute] state_dir/<uuid>/`:
 *
 * - `hosts`: the instance's /etc/hosts, bind-mounted writable into the container;
 * - `ephemeral/`: the flavor's ephemeral disk, bind-mounted writable (0755, as
 *   a fresh filesystem's root, so only the container's root writes to it);
 * - `operation.json`: written while an operation runs, so start-up
 *   reconciliation can tell what a crash interrupted;
 * - `suspended`: present while the instance is suspended (paused by suspend,
 *   not by pause), so get_info can report SUSPENDED;
 * - `network.json`: the interfaces planned from network_info at spawn
 *   (network_mode neutron), plugged again after every start: a container's
 *   network namespace, and the veth pairs in it, end with its process;
 * - `network-pid`: the container process they were last plugged into (a
 *   power_on of a paused or running container must not plug them twice);
 * - `user-data-pending.json`: the user-data scripts placed in the container
 *   that have not been started yet (an instance spawned powered off runs them
 *   at its first start).
 *
 * Docker labels cannot change after create, hence files.
 */
import { mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '../errors/bridge-error.js';
import type { InterfacePlan } from '../host-network/host-network.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What an interrupted operation left behind. */
export interface OperationMarker {
  readonly operation: string;
  readonly startedAt: string;
  readonly pid: number;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** A flavor's local disk, in GB. */
export interface FlavorDisk {
  readonly rootGb: number;
  readonly ephemeralGb: number;
}

export class InstanceStateDirs {
  constructor(readonly root: string) {
    if (!path.isAbsolute(root)) throw new BridgeError('ERR_CONFIG_INVALID', `[compute] state_dir must be an absolute path, got ${JSON.stringify(root)}`);
  }

  dir(uuid: string): string {
    // Payload validation already guarantees this; a path join must never see anything else.
    if (!UUID.test(uuid)) throw new BridgeError('ERR_INVALID_ARGUMENT', `not an instance UUID: ${JSON.stringify(uuid)}`);
    return path.join(this.root, uuid);
  }

  hostsFile(uuid: string): string {
    return path.join(this.dir(uuid), 'hosts');
  }

  /** The instance's ephemeral disk (a directory bind-mounted at [compute] ephemeral_mount_point). */
  ephemeralDir(uuid: string): string {
    return path.join(this.dir(uuid), 'ephemeral');
  }

  /** Creates the state root (0700: it holds instances' files). */
  async ensureRoot(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new BridgeError('ERR_CONFIG_INVALID', `[compute] state_dir ${this.root}: cannot create: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Creates the instance's directory and, when `hostsContent` is given, its hosts
   * file, keeping an existing one (a retried spawn must not undo edits); with
   * `ephemeral`, its ephemeral directory, keeping what is in it.
   */
  async prepare(uuid: string, hostsContent: string | null, options: { ephemeral?: boolean } = {}): Promise<void> {
    const dir = this.dir(uuid);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (options.ephemeral === true) await mkdir(this.ephemeralDir(uuid), { recursive: true, mode: 0o755 });
      if (hostsContent !== null) {
        try {
          await writeFile(this.hostsFile(uuid), hostsContent, { flag: 'wx', mode: 0o644 });
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err;
        }
      }
    } catch (err) {
      throw new BridgeError('ERR_INTERNAL', `cannot prepare state directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  async exists(uuid: string): Promise<boolean> {
    try {
      return (await stat(this.dir(uuid))).isDirectory();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Records that `operation` is running; a no-op when the instance has no directory. */
  async markOperation(uuid: string, operation: string): Promise<void> {
    const marker: OperationMarker = { operation, startedAt: new Date().toISOString(), pid: process.pid };
    try {
      await writeFile(path.join(this.dir(uuid), 'operation.json'), `${JSON.stringify(marker)}\n`, { mode: 0o600 });
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  async clearOperation(uuid: string): Promise<void> {
    await this.unlinkQuiet(path.join(this.dir(uuid), 'operation.json'));
  }

  async readOperation(uuid: string): Promise<OperationMarker | null> {
    const text = await this.readOptional(uuid, 'operation.json');
    if (text === null) return null;
    try {
      const o = JSON.parse(text) as Partial<OperationMarker>;
      return { operation: String(o.operation ?? 'unknown'), startedAt: String(o.startedAt ?? ''), pid: Number(o.pid ?? 0) };
    } catch {
      // A crash while writing the marker: the operation is unknown but was interrupted.
      return { operation: 'unknown', startedAt: '', pid: 0 };
    }
  }

  async setSuspended(uuid: string, suspended: boolean): Promise<void> {
    const file = path.join(this.dir(uuid), 'suspended');
    if (!suspended) {
      await this.unlinkQuiet(file);
      return;
    }
    await mkdir(this.dir(uuid), { recursive: true, mode: 0o700 });
    await writeFile(file, `${new Date().toISOString()}\n`, { mode: 0o600 });
  }

  async isSuspended(uuid: string): Promise<boolean> {
    try {
      await stat(path.join(this.dir(uuid), 'suspended'));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Records the interfaces to plug after every start of the instance. */
  async setNetworkPlan(uuid: string, interfaces: readonly InterfacePlan[]): Promise<void> {
    await writeFile(path.join(this.dir(uuid), 'network.json'), `${JSON.stringify({ interfaces })}\n`, { mode: 0o600 });
  }

  /** The recorded interfaces; null when the instance has none (not spawned with network_mode neutron). */
  async readNetworkPlan(uuid: string): Promise<InterfacePlan[] | null> {
    const text = await this.readOptional(uuid, 'network.json');
    if (text === null) return null;
    try {
      const o = JSON.parse(text) as { interfaces?: unknown };
      if (!Array.isArray(o.interfaces)) throw new Error('no interfaces list');
      return o.interfaces as InterfacePlan[];
    } catch (err) {
      throw new BridgeError('ERR_VIF_PLUG_FAILED', `the network record of instance ${uuid} is unreadable (${(err as Error).message}): rebuild or re-create the server`, { cause: err });
    }
  }

  /** Records which container process the interfaces were last plugged into. */
  async setPluggedPid(uuid: string, pid: number): Promise<void> {
    await writeFile(path.join(this.dir(uuid), 'network-pid'), `${pid}\n`, { mode: 0o600 });
  }

  /** The process the interfaces were last plugged into; 0 when never (or unreadable). */
  async pluggedPid(uuid: string): Promise<number> {
    const n = Number((await this.readOptional(uuid, 'network-pid'))?.trim() ?? 0);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  }

  /**
   * Records the disk sizes of the flavor a live resize gave the instance:
   * Docker cannot change a container's labels, which keep the spawn's sizes.
   */
  async setResizedDisk(uuid: string, disk: FlavorDisk): Promise<void> {
    await writeFile(path.join(this.dir(uuid), 'resized-disk.json'), `${JSON.stringify(disk)}\n`, { mode: 0o600 });
  }

  /** The sizes a live resize recorded; null when never resized (or unreadable: the labels then count). */
  async readResizedDisk(uuid: string): Promise<FlavorDisk | null> {
    const text = await this.readOptional(uuid, 'resized-disk.json');
    if (text === null) return null;
    try {
      const o = JSON.parse(text) as Partial<FlavorDisk>;
      const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
      return ok(o.rootGb) && ok(o.ephemeralGb) ? { rootGb: o.rootGb, ephemeralGb: o.ephemeralGb } : null;
    } catch {
      return null;
    }
  }

  /** Records the user-data scripts (paths in the container) to run at the instance's next start. */
  async setPendingUserData(uuid: string, scripts: readonly string[]): Promise<void> {
    await writeFile(path.join(this.dir(uuid), 'user-data-pending.json'), `${JSON.stringify({ scripts })}\n`, { mode: 0o600 });
  }

  /**
   * The pending user-data scripts, removed from the record as they are read
   * (at most once: a crash after this read loses them rather than running
   * them twice). null when none are pending.
   */
  async takePendingUserData(uuid: string): Promise<string[] | null> {
    const text = await this.readOptional(uuid, 'user-data-pending.json');
    if (text === null) return null;
    await this.unlinkQuiet(path.join(this.dir(uuid), 'user-data-pending.json'));
    try {
      const o = JSON.parse(text) as { scripts?: unknown };
      return Array.isArray(o.scripts) ? o.scripts.filter((s): s is string => typeof s === 'string' && s.startsWith('/')) : [];
    } catch {
      // Torn by a crash while it was written: the scripts cannot be named, so none run.
      return [];
    }
  }

  /** Removes the instance's directory and everything in it; missing is fine. */
  async remove(uuid: string): Promise<void> {
    await rm(this.dir(uuid), { recursive: true, force: true });
  }

  /** UUIDs that have a directory. */
  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && UUID.test(e.name)).map((e) => e.name);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /** An instance file's text; null when it (or the instance's directory) does not exist. */
  private async readOptional(uuid: string, name: string): Promise<string | null> {
    try {
      return await readFile(path.join(this.dir(uuid), name), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    }
  }

  private async unlinkQuiet(file: string): Promise<void> {
    try {
      await unlink(file);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
}
