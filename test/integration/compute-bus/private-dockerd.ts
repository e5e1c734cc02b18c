/**
 * A dockerd of the test's own, so a test can stop and restart "Docker" without
 * touching the shared Engine other tests (and agents) use.
 *
 * It runs in its own network namespace (`unshare --net`): with `--bridge none`
 * dockerd deletes any interface named docker0 at start-up, which in the host's
 * namespace would break the shared Engine's default bridge network. Its data,
 * exec root, containerd and socket all live under one temp directory. Containers
 * on it must use network_mode "none".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { run, waitFor } from '../../helpers/services.js';

const START_MS = 60_000;
const STOP_MS = 45_000;

export class PrivateDockerd {
  private child: ChildProcess | null = null;
  readonly socketPath: string;
  readonly docker: Docker;

  private constructor(readonly dir: string) {
    this.socketPath = path.join(dir, 'docker.sock');
    this.docker = new Docker({ socketPath: this.socketPath });
  }

  /** A new private Engine (not started). The directory is short: Unix socket paths are limited to 107 bytes. */
  static create(): PrivateDockerd {
    return new PrivateDockerd(mkdtempSync('/tmp/ndbpd-'));
  }

  get hostUrl(): string {
    return `unix://${this.socketPath}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts dockerd (same data root every time, so containers survive a stop/start) and waits until it answers. */
  async start(): Promise<void> {
    if (this.running) return;
    const log = openSync(path.join(this.dir, 'dockerd.log'), 'a');
    const d = this.dir;
    const child = spawn(
      'unshare',
      [
        '--net',
        '--',
        'dockerd',
        '--host', this.hostUrl,
        '--data-root', `${d}/data`,
        '--exec-root', `${d}/exec`,
        '--pidfile', `${d}/docker.pid`,
        '--bridge', 'none',
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`private dockerd exited (${code ?? signal}) during start-up: ${this.logTail()}`))),
    );
    exited.catch(() => undefined);
    try {
      await Promise.race([
        waitFor(async () => (await this.docker.ping(), true), { what: `private dockerd on ${this.socketPath}`, timeoutMs: START_MS, intervalMs: 100 }),
        exited,
      ]);
    } catch (err) {
      await this.stop();
      throw new Error(`${(err as Error).message}\n${this.logTail()}`, { cause: err });
    }
  }

  /** SIGTERM (dockerd stops its containers and containerd) and waits; SIGKILL after STOP_MS. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Copies an image from the shared Engine (docker save | docker load). */
  async loadImage(image: string): Promise<void> {
    await run('bash', ['-o', 'pipefail', '-c', 'docker save "$1" | docker -H "$2" load -q', 'load-image', image, this.hostUrl], { timeoutMs: 120_000 });
  }

  /** Stops the Engine and removes its directory (unmounting anything it left mounted). */
  async destroy(): Promise<void> {
    await this.stop();
    const mounts = existsSync('/proc/mounts') ? readFileSync('/proc/mounts', 'utf8').split('\n') : [];
    const under = mounts
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of under) await run('umount', ['-l', m]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no dockerd log)';
    }
  }
}
