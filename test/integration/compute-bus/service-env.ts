/**
 * The compute service as Nova sees it: the real `nova-docker-bridge serve`
 * process (bin/nova-docker-bridge.js) with a test-unique [DEFAULT] host,
 * [bridge] topic and [compute] state_dir, driven over the real broker by our
 * RpcClient or by the Python peer (py_nova_peer.py), on a real dockerd.
 *
 * Everything a file creates is found again by its labels (managed-by = the
 * file's host) and removed by `cleanup()`; nothing else is touched.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { LABEL_INSTANCE_UUID, LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import { RpcClient } from '../../../src/rpc/rpc-client.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../../src/rpc/topology.js';
import { parseTransportUrl } from '../../../src/rpc/transport-url.js';
import { silentLogger, type Logger } from '../../../src/log/logger.js';
import { deleteTopology } from '../rpc/rpc-test-env.js';
import { DOCKER_SOCKET, PYTHON, REPO_ROOT, TEST_IMAGE, TRANSPORT_URL, uniqueName, waitFor } from '../../helpers/services.js';

export { TEST_IMAGE, uniqueName, waitFor };

/** Oslo's control exchange: the service and Nova both use "nova"; only our topic is unique. */
export const EXCHANGE = 'nova';
const SERVICE_START_MS = 30_000;
const PYTHON_START_MS = 45_000;

/** One JSON log line of the service (log_format = json). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** What a test file's service looks like on the bus and on disk. */
export interface ServiceIdentity {
  readonly host: string;
  readonly topic: string;
  /** Temp directory holding the config file and the state dir. */
  readonly dir: string;
  readonly stateDir: string;
  readonly configFile: string;
}

/** [compute]/[docker]/[DEFAULT] values to write on top of the test defaults. */
export type ConfigOverrides = Partial<Record<'DEFAULT' | 'compute' | 'docker' | 'bridge' | 'oslo_messaging_rabbit', Record<string, string | number | boolean>>>;

/** A fresh host/topic/state dir; writes the config file. */
export function newIdentity(prefix: string, overrides: ConfigOverrides = {}): ServiceIdentity {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const identity: ServiceIdentity = {
    host: uniqueName(`${prefix}-host`),
    topic: uniqueName(`${prefix}-topic`),
    dir,
    stateDir: path.join(dir, 'state'),
    configFile: path.join(dir, 'nova-docker-bridge.conf'),
  };
  writeConfig(identity, overrides);
  return identity;
}

/** (Re)writes the identity's config file. */
export function writeConfig(id: ServiceIdentity, overrides: ConfigOverrides = {}): void {
  const sections: Record<string, Record<string, string | number | boolean>> = {
    DEFAULT: { host: id.host, transport_url: TRANSPORT_URL, control_exchange: EXCHANGE, log_format: 'json', graceful_shutdown_timeout: 5, ...overrides.DEFAULT },
    oslo_messaging_rabbit: { rabbit_retry_interval: 0.2, rabbit_retry_backoff: 0.2, rabbit_interval_max: 1, ...overrides.oslo_messaging_rabbit },
    bridge: { topic: id.topic, ...overrides.bridge },
    // These services have no Glance: their images are pre-loaded on the host and found by
    // name, as local_image_lookup = any allows (the Glance tests set glance-id, the default).
    compute: { state_dir: id.stateDir, soft_reboot_timeout: 10, local_image_lookup: 'any', ...overrides.compute },
    docker: { host_url: `unix://${DOCKER_SOCKET}`, api_timeout: 20, ...overrides.docker },
  };
  const text = Object.entries(sections)
    .map(([name, opts]) => `[${name}]\n${Object.entries(opts).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`)
    .join('\n');
  writeFileSync(id.configFile, text);
}

/** A running `nova-docker-bridge serve` process and what it logged. */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  private readonly raw: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    const onLine = (l: string): void => {
      this.raw.push(l);
      if (this.raw.length > 5000) this.raw.shift();
      if (!l.startsWith('{')) return;
      try {
        this.logs.push(JSON.parse(l) as LogLine);
      } catch {
        // a partial line of a dying process
      }
    };
    createInterface({ input: child.stderr }).on('line', onLine);
    createInterface({ input: child.stdout }).on('line', onLine);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `serve` and resolves once it logged "compute service ready" (or rejects with its output). */
  static async start(id: ServiceIdentity, options: { expectReady?: boolean } = {}): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [`${REPO_ROOT}bin/nova-docker-bridge.js`, 'serve', '--config-file', id.configFile], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const svc = new ServiceProcess(child);
    if (options.expectReady === false) return svc;
    await Promise.race([
      waitFor(() => svc.logs.some((l) => l.msg === 'compute service ready'), { what: 'the service to log "compute service ready"', timeoutMs: SERVICE_START_MS, intervalMs: 50 }),
      svc.exited.then(({ code, signal }) => {
        throw new Error(`nova-docker-bridge serve exited (${code ?? signal}) before it was ready:\n${svc.output()}`);
      }),
    ]).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err instanceof Error && err.message.startsWith('timed out') ? new Error(`${err.message}; output:\n${svc.output()}`) : err;
    });
    return svc;
  }

  /** Never resolves; rejects (naming `what` and the last output) if the process exits. */
  died(what: string): Promise<never> {
    return this.exited.then(({ code, signal }) => {
      throw new Error(`the service process exited (${code ?? signal}) while waiting for ${what}; its last output:\n${this.output()}`);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The last lines the process wrote, for failure messages. */
  output(lines = 40): string {
    return this.raw.slice(-lines).join('\n');
  }

  /** The queues it consumed (from its "compute service ready" line). */
  get queues(): string[] {
    const q = this.logged('compute service ready')[0]?.queues;
    return typeof q === 'string' ? q.split(',').filter((n) => n !== '') : [];
  }

  /** Log lines whose msg equals `msg`. */
  logged(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  /** SIGKILL: the crash case; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait (graceful_shutdown_timeout is 5 s in tests); SIGKILL if it hangs. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Our RpcClient on its own bus, addressed at the service's topic and host. */
export interface TsCaller {
  readonly client: RpcClient;
  call(method: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * `service`: when given, a call fails at once (with the service's last output)
 * if that process is gone, instead of waiting for its reply timeout.
 */
export async function tsCaller(id: ServiceIdentity, options: { logger?: Logger; service?: () => ServiceProcess | undefined } = {}): Promise<TsCaller> {
  const logger = options.logger ?? silentLogger;
  const bus = new AmqpBus({
    url: parseTransportUrl(TRANSPORT_URL),
    logger,
    heartbeatSeconds: 60,
    retryIntervalSeconds: 0.2,
    retryBackoffSeconds: 0.2,
    intervalMaxSeconds: 1,
    publishTimeoutMs: 10_000,
    connectionName: uniqueName('ndb-cb-client'),
  });
  // start()'s signal bounds the bus's whole life (abort = close), so it must not fire after start-up.
  const startDeadline = new AbortController();
  const timer = setTimeout(() => startDeadline.abort(), 20_000);
  try {
    await bus.start(startDeadline.signal);
  } finally {
    clearTimeout(timer);
  }
  const client = new RpcClient({
    bus,
    exchange: EXCHANGE,
    topic: id.topic,
    server: id.host,
    version: '1.0',
    timeoutMs: 60_000,
    flags: DEFAULT_TOPOLOGY_FLAGS,
    logger,
  });
  return {
    client,
    call: (method, args = {}, timeoutMs) => {
      const call = client.call(method, args, { ...(timeoutMs === undefined ? {} : { timeoutMs }), context: { request_id: `req-${randomUUID()}`, user_id: 'u1', project_id: 'p1' } });
      const svc = options.service?.();
      if (!svc) return call;
      return Promise.race([call, svc.died(method)]);
    },
    close: async () => {
      await client.close();
      await bus.close();
    },
  };
}

/** Raw dockerode on a socket, for checks independent of the adapter under test. */
export function dockerAt(socket = DOCKER_SOCKET): Docker {
  return new Docker({ socketPath: socket });
}

/** Containers (any state) managed by `host`, keyed by instance UUID label. */
export async function containersOf(docker: Docker, host: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${host}`] }) });
}

/** Containers of `host` for one instance. */
export async function containersFor(docker: Docker, host: string, uuid: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${host}`, `${LABEL_INSTANCE_UUID}=${uuid}`] }) });
}

/** Inspect by name, or null on 404. */
export async function inspectOrNull(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

/** UUIDs with a state directory. */
export function stateDirs(id: ServiceIdentity): string[] {
  return existsSync(id.stateDir) ? readdirSync(id.stateDir) : [];
}

/**
 * Removes what the file created: containers labelled with its host (on the
 * given Engine), its temp directory and its queues. The service must be stopped first.
 */
export async function cleanupIdentity(id: ServiceIdentity, docker: Docker = dockerAt(), services: readonly ServiceProcess[] = []): Promise<void> {
  const mine = await containersOf(docker, id.host).catch(() => []);
  await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  rmSync(id.dir, { recursive: true, force: true });
  // A SIGKILLed service leaves its fanout queue behind (it would expire after 30 min).
  const queues = new Set([id.topic, `${id.topic}.${id.host}`, ...services.flatMap((s) => s.queues)]);
  await deleteTopology({ queues: [...queues] }).catch(() => undefined);
}

// ---- Nova-like payloads ----------------------------------------------------------

/** Nova's `Instance` fields as the Python peer builds the object (py_nova_peer.py). */
export interface NovaInstance {
  id: number;
  uuid: string;
  hostname: string;
  display_name: string;
  project_id: string;
  user_id: string;
  flavor: { vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number; swap: number; name: string; extra_specs: Record<string, string> };
  metadata: Record<string, string>;
  system_metadata: Record<string, string>;
  key_data: string | null;
  key_name: string | null;
  user_data: string | null;
  image_ref: string;
  availability_zone: string;
}

let nextInstanceId = 1000 + Math.floor(Math.random() * 1000);

/** A Nova instance the way a boot request creates it (before projection). */
export function novaInstance(over: Omit<Partial<NovaInstance>, 'flavor'> & { flavor?: Partial<NovaInstance['flavor']> } = {}): NovaInstance {
  const uuid = over.uuid ?? randomUUID();
  const { flavor, ...rest } = over;
  return {
    id: nextInstanceId++,
    uuid,
    hostname: `vm-${uuid.slice(0, 8)}`,
    display_name: `vm ${uuid.slice(0, 8)}`,
    project_id: 'p1',
    user_id: 'u1',
    metadata: { role: 'worker', 'cluster-name': 'c1' },
    system_metadata: { image_container_format: 'docker', image_disk_format: 'raw' },
    key_data: null,
    key_name: null,
    user_data: null,
    image_ref: randomUUID(),
    availability_zone: 'nova',
    ...rest,
    flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0, swap: 0, name: 'm1.tiny', extra_specs: {}, ...flavor },
  };
}

/** `image_meta` of the test image (ImageMeta.from_dict input). */
export function novaImageMeta(command: string | null = 'sleep 3600', over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    name: TEST_IMAGE,
    container_format: 'docker',
    disk_format: 'raw',
    properties: command === null ? {} : { os_command_line: command },
    ...over,
  };
}

/** One Neutron port as Nova's network model has it (VIF → Network → Subnet → IPs). */
export function novaVif(ip: string, dns: string[]): Record<string, unknown> {
  return {
    id: randomUUID(),
    address: 'fa:16:3e:00:00:01',
    type: 'ovs',
    devname: 'tap0',
    vnic_type: 'normal',
    active: true,
    details: {},
    network: {
      id: randomUUID(),
      bridge: 'br-int',
      label: 'private',
      subnets: [
        {
          cidr: '10.0.0.0/24',
          gateway: { address: '10.0.0.1', type: 'gateway', version: 4 },
          dns: dns.map((address) => ({ address, type: 'dns', version: 4 })),
          ips: [{ address: ip, type: 'fixed', version: 4, floating_ips: [] }],
          routes: [],
          version: 4,
        },
      ],
    },
  };
}

/** The JSON projection the Nova shim sends for spawn (docs/bus-api.md), built in TypeScript for our RpcClient. */
export function spawnArgs(inst: NovaInstance, image: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instance: { ...inst, name: `instance-${inst.id.toString(16).padStart(8, '0')}` },
    image_meta: image,
    injected_files: [],
    admin_password: null,
    network_info: [],
    power_on: true,
    ...extra,
  };
}

/** `instance` as the shim sends it for every other call (identity only). */
export function instanceRef(inst: NovaInstance): Record<string, unknown> {
  return {
    uuid: inst.uuid,
    hostname: inst.hostname,
    display_name: inst.display_name,
    project_id: inst.project_id,
    user_id: inst.user_id,
    name: `instance-${inst.id.toString(16).padStart(8, '0')}`,
  };
}

// ---- the Python peer ----------------------------------------------------------------

/** What the Python caller saw (as py_nova_peer.py describes it). */
export type NovaPeerResult = { ok: true; result: unknown; elapsed: number } | { ok: false; error: NovaPeerError; elapsed: number };

export interface NovaPeerError {
  module: string;
  class: string;
  str: string;
  mro: string[];
  args: unknown[];
  kwargs?: Record<string, unknown>;
  exc_type?: string;
  value?: string;
}

/** A request for py_nova_peer.py: Nova objects by their fields, projected there with the shim's projection module. */
export interface NovaPeerCall {
  method: string;
  instance?: NovaInstance;
  image_meta?: Record<string, unknown>;
  network_info?: unknown[];
  /** [path, text] pairs, as Nova's injected_files (the shim base64-encodes them). */
  injected_files?: Array<[string, string]>;
  admin_password?: string | null;
  power_on?: boolean;
  /** Extra keyword arguments sent as they are (reboot_type, timeout, flavor…). */
  kwargs?: Record<string, unknown>;
  /** Sent instead of any projection: for payloads the shim would never build. */
  raw_args?: Record<string, unknown>;
  timeout?: number;
  call_monitor_timeout?: number;
}

/** test/integration/compute-bus/py_nova_peer.py: one long-lived Python process per test file. */
export class NovaPeer {
  private nextId = 1;
  private readonly pending = new Map<number, (r: NovaPeerResult) => void>();
  private stderrText = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly target: { topic: string; server: string },
    private readonly service: (() => ServiceProcess | undefined) | undefined,
  ) {}

  /** `service`: as for tsCaller, calls fail at once if that process is gone. */
  static async start(id: ServiceIdentity, service?: () => ServiceProcess | undefined): Promise<NovaPeer> {
    const child = spawn(PYTHON, [path.join(REPO_ROOT, 'test/integration/compute-bus/py_nova_peer.py'), TRANSPORT_URL, EXCHANGE, id.topic, id.host], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const peer = new NovaPeer(child, { topic: id.topic, server: id.host }, service);
    child.stderr.on('data', (b: Buffer) => {
      peer.stderrText = (peer.stderrText + b.toString('utf8')).slice(-20_000);
    });
    let ready!: () => void;
    const readyP = new Promise<void>((r) => (ready = r));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY') return ready();
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as NovaPeerResult & { id: number };
      peer.pending.get(msg.id)?.(msg);
      peer.pending.delete(msg.id);
    });
    const died = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        for (const [, done] of peer.pending) done({ ok: false, elapsed: 0, error: { module: 'test', class: 'PeerDied', str: peer.stderrText, mro: [], args: [] } });
        peer.pending.clear();
        reject(new Error(`py_nova_peer.py exited (${code ?? signal}): ${peer.stderrText.slice(-3000)}`));
      }),
    );
    died.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`py_nova_peer.py not READY within ${PYTHON_START_MS} ms: ${peer.stderrText.slice(-3000)}`)), PYTHON_START_MS);
    });
    try {
      await Promise.race([readyP, died, timeout]);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return peer;
  }

  call(cmd: NovaPeerCall, waitMs = 90_000): Promise<NovaPeerResult> {
    const svc = this.service?.();
    const call = this.send(cmd, waitMs);
    return svc ? Promise.race([call, svc.died(`Python ${cmd.method}`)]) : call;
  }

  private send(cmd: NovaPeerCall, waitMs: number): Promise<NovaPeerResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`py_nova_peer gave no answer to ${cmd.method} within ${waitMs} ms; stderr: ${this.stderrText.slice(-3000)}`));
      }, waitMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  /** A call that must succeed: its result, or an Error naming the Python exception. */
  async ok(cmd: NovaPeerCall): Promise<unknown> {
    const r = await this.call(cmd);
    if (!r.ok) throw new Error(`Python ${cmd.method} raised ${r.error.module}.${r.error.class}: ${r.error.str.split('\n')[0]}`);
    return r.result;
  }

  /** A call that must fail: the exception the Python caller got. */
  async fails(cmd: NovaPeerCall): Promise<NovaPeerError> {
    const r = await this.call(cmd);
    if (r.ok) throw new Error(`Python ${cmd.method} succeeded with ${JSON.stringify(r.result)}; expected it to raise`);
    return r.error;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get topic(): string {
    return this.target.topic;
  }
}
