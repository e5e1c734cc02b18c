/**
 * The HostNetwork adapter over iproute2 (`ip`) and util-linux (`nsenter`),
 * run as child processes: the one file that knows how the host's network is
 * changed. Needs CAP_NET_ADMIN on the host (the service runs as root beside
 * dockerd) and an Engine on this machine (the container's PID is a host PID).
 * Every failure becomes ERR_VIF_PLUG_FAILED naming the command and what it
 * printed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BridgeError } from '../errors/bridge-error.js';
import type { HostNetwork, InterfacePlan } from './host-network.js';
import { bridgeCommands, containerBatch, hostCommands } from './link-commands.js';

export interface Iproute2Options {
  /** Path of `ip` (default: found on PATH). */
  readonly ip?: string;
  /** Path of `nsenter`. */
  readonly nsenter?: string;
  /** Per command (default 10 s). */
  readonly timeoutMs?: number;
}

/** Host devices as the kernel lists them (no command needed to ask). */
function deviceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export class Iproute2HostNetwork implements HostNetwork {
  private readonly ip: string;
  private readonly nsenter: string;
  private readonly timeoutMs: number;

  constructor(options: Iproute2Options = {}) {
    this.ip = options.ip ?? 'ip';
    this.nsenter = options.nsenter ?? 'nsenter';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async check(signal?: AbortSignal): Promise<void> {
    await this.run(this.ip, ['-V'], null, signal, 'iproute2 ("ip") is needed to plug Neutron ports: install the iproute2 package');
    await this.run(this.nsenter, ['--version'], null, signal, 'nsenter is needed to plug Neutron ports: install the util-linux package');
  }

  async plug(pid: number, interfaces: readonly InterfacePlan[], signal?: AbortSignal): Promise<void> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new BridgeError('ERR_VIF_PLUG_FAILED', `cannot plug network interfaces: the container has no process (pid ${pid})`);
    for (const i of interfaces) {
      if (!deviceExists(i.bridge)) {
        for (const args of bridgeCommands(i.bridge)) {
          // Neutron's agent may create the same bridge meanwhile: losing that race is fine.
          await this.ipCommand(args, signal).catch((err: unknown) => {
            if (!deviceExists(i.bridge)) throw err;
          });
        }
      }
      // Left from an earlier start whose namespace outlived it, or from a crash. Only ever a veth:
      // a name that clashes with anything else (a bridge, a NIC) is not ours to delete.
      if (deviceExists(i.hostDevice)) {
        const kind = await this.linkKind(i.hostDevice, signal);
        if (kind !== 'veth') {
          throw new BridgeError('ERR_VIF_PLUG_FAILED', `host device ${i.hostDevice} for port ${i.portId} exists and is not a veth pair (it is ${kind === null ? 'a plain device' : `a ${kind}`}): refusing to touch it`, {
            details: { device: i.hostDevice },
          });
        }
        await this.ipCommand(['link', 'del', 'dev', i.hostDevice], signal);
      }
      for (const args of hostCommands(pid, i)) await this.ipCommand(args, signal);
      const batch = containerBatch(i);
      await this.run(this.nsenter, ['--target', String(pid), '--net', this.ip, '-batch', '-'], `${batch.join('\n')}\n`, signal, `configuring ${i.containerDevice} (port ${i.portId}) in the container`);
    }
  }

  present(hostDevices: readonly string[]): Promise<boolean> {
    return Promise.resolve(hostDevices.every(deviceExists));
  }

  async unplug(hostDevices: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const dev of hostDevices) {
      if (deviceExists(dev) && (await this.linkKind(dev, signal).catch(() => null)) === 'veth') {
        await this.ipCommand(['link', 'del', 'dev', dev], signal).catch((err: unknown) => {
          if (deviceExists(dev)) throw err; // gone meanwhile (its container stopped): fine
        });
      }
    }
  }

  /** The device's kind ("veth", "bridge", …; null for a plain device), from ip's JSON output. */
  private async linkKind(dev: string, signal?: AbortSignal): Promise<string | null> {
    const args = ['-j', '-d', 'link', 'show', 'dev', dev];
    const out = await this.run(this.ip, args, null, signal, `ip ${args.join(' ')}`);
    const links = JSON.parse(out) as Array<{ linkinfo?: { info_kind?: unknown } }>;
    const kind = links[0]?.linkinfo?.info_kind;
    return typeof kind === 'string' ? kind : null;
  }

  private async ipCommand(args: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.run(this.ip, args, null, signal, `ip ${args.join(' ')}`);
  }

  /** Runs a command (with `stdin` when given); its stdout (empty with stdin: not captured then). */
  private run(file: string, args: readonly string[], stdin: string | null, signal: AbortSignal | undefined, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const fail = (detail: string, cause?: unknown): void =>
        reject(new BridgeError('ERR_VIF_PLUG_FAILED', `${what}: ${detail}`, { cause, details: { command: [file, ...args].join(' ') } }));
      if (stdin === null) {
        execFile(file, [...args], { timeout: this.timeoutMs, signal }, (err, stdout, stderr) => {
          if (err) fail((stderr.trim() || err.message).slice(0, 1000), err);
          else resolve(stdout);
        });
        return;
      }
      const child = spawn(file, [...args], { stdio: ['pipe', 'ignore', 'pipe'], timeout: this.timeoutMs, signal });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 4000) stderr += d;
      });
      child.on('error', (err) => fail(err.message, err));
      child.on('close', (code, sig) => {
        if (code === 0) resolve('');
        else fail((stderr.trim() || `exited with ${code ?? sig}`).slice(0, 1000));
      });
      child.stdin.on('error', () => undefined); // a failed spawn reports through 'error'
      child.stdin.end(stdin);
    });
  }
}
