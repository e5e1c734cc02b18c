/**
 * Spawn benchmark (issue 3): spawn through the bus (RpcClient.call('spawn') →
 * the real `nova-docker-bridge serve` process → container running → reply)
 * versus direct create+start with dockerode on the same Engine (the same
 * create body, built by the same translation functions, then start and inspect
 * until running), in the same run: N sequential and N at a given concurrency.
 * Destroying is outside the timed part. Prints p50/p90/mean/max, the ratios
 * and PASS/MISS against the goals (≤ 1.10× sequential, ≤ 1.25× concurrent,
 * on mean latency), plus where the bus path's time goes: the service's own
 * spawn time (its "instance spawned" log line) versus RPC and queueing, and
 * the CPU each process (this client, the service, dockerd, containerd, the
 * broker) spent per spawn.
 *
 * By default the test image is tagged `glance-image:<random Glance ID>` for
 * the run, as a Glance download tags it, so spawn finds it with its first
 * lookup; `--image-by name` leaves that tag absent (one 404 more per spawn).
 *
 * Sequential runs alternate bus and direct spawns (swapping who goes first
 * every iteration) so drift on the shared machine hits both alike; concurrent
 * batches alternate per round.
 *
 * Usage: npx tsx bench/spawn/run.ts [--count 50] [--concurrency 10] [--warmup 5]
 *          [--rounds 1] [--image-by glance-tag|name] [--url rabbit://guest:guest@127.0.0.1:5672/]
 *          [--docker-socket /var/run/docker.sock] [--json FILE] [--strict]
 * Exit status: 0 when every measurement completed (MISS is a result, not a
 * failure, unless --strict), 1 on a failed measurement, 2 on bad arguments.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { driverSettingsFromConfig } from '../../src/compute/driver-settings.js';
import { parseSpawnArgs } from '../../src/compute/payloads.js';
import { buildCreatePlan } from '../../src/compute/translate/create-spec.js';
import { hostsFileContent } from '../../src/compute/translate/hosts-file.js';
import { LABEL_MANAGED_BY } from '../../src/compute/translate/labels.js';
import { loadConfig } from '../../src/config/load-config.js';
import { toCreateBody } from '../../src/docker/create-body.js';
import { silentLogger } from '../../src/log/logger.js';
import { AmqpBus } from '../../src/rpc/amqp-bus.js';
import { RpcClient } from '../../src/rpc/rpc-client.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../src/rpc/topology.js';
import { parseTransportUrl } from '../../src/rpc/transport-url.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const IMAGE = 'nova-docker-bridge-test/busybox:latest';
/** [compute] glance_image_repository's default: downloaded Glance images are tagged <this>:<image ID>. */
const GLANCE_REPO = 'glance-image';
const GOAL_SEQUENTIAL = 1.1;
const GOAL_CONCURRENT = 1.25;

type Mode = 'bus' | 'direct';

interface Options {
  count: number;
  concurrency: number;
  warmup: number;
  rounds: number;
  url: string;
  dockerSocket: string;
  json: string | null;
  strict: boolean;
  /** How spawn finds the image: by the Glance-ID tag a downloaded image gets (production), or by name after that tag misses. */
  imageBy: 'glance-tag' | 'name';
}

interface Stats {
  n: number;
  p50: number;
  p90: number;
  mean: number;
  max: number;
  min: number;
}

interface Measurement {
  mode: Mode;
  concurrency: number;
  round: number;
  latencies_ms: number[];
  wall_ms: number;
  stats: Stats;
  /** Bus only: the service's own spawn time per instance (its log), ms. */
  service_ms?: Stats;
  /** CPU milliseconds per spawn during the batch, by process. */
  cpu_ms_per_spawn: Record<string, number>;
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npx tsx bench/spawn/run.ts [--count 50] [--concurrency 10] [--warmup 5] [--rounds 1] [--image-by glance-tag|name] ` +
      '[--url rabbit://guest:guest@127.0.0.1:5672/] [--docker-socket /var/run/docker.sock] [--json FILE] [--strict]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    count: 50,
    concurrency: 10,
    warmup: 5,
    rounds: 1,
    url: 'rabbit://guest:guest@127.0.0.1:5672/',
    dockerSocket: '/var/run/docker.sock',
    json: null,
    strict: false,
    imageBy: 'glance-tag',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--strict') {
      o.strict = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    const int = (min: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min) usage(`${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
      return n;
    };
    switch (flag) {
      case '--count':
        o.count = int(1);
        break;
      case '--concurrency':
        o.concurrency = int(1);
        break;
      case '--warmup':
        o.warmup = int(0);
        break;
      case '--rounds':
        o.rounds = int(1);
        break;
      case '--url':
        o.url = value;
        break;
      case '--docker-socket':
        o.dockerSocket = value;
        break;
      case '--json':
        o.json = value;
        break;
      case '--image-by':
        if (value !== 'glance-tag' && value !== 'name') usage(`--image-by must be glance-tag or name, got ${JSON.stringify(value)}`);
        o.imageBy = value;
        break;
      default:
        usage(`unknown option ${flag}`);
    }
  }
  return o;
}

function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), max: s[s.length - 1] ?? NaN, min: s[0] ?? NaN };
}

const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

// ---- CPU accounting -----------------------------------------------------------------------

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat times are in these ticks

/** utime+stime of a process and its waited-for children, ms; null when it cannot be read. */
function procCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(rest[i] ?? 0), 0);
    return (ticks * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

function pidFromFile(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The first process whose command name is exactly `comm`. */
function pidByComm(comm: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

type CpuSnapshot = Record<string, number | null>;

function cpuSnapshot(pids: Record<string, number | null>): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = name === 'client' ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : procCpuMs(pid);
  return out;
}

function cpuPerSpawn(before: CpuSnapshot, after: CpuSnapshot, spawns: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (a !== null && a !== undefined && b !== null && b !== undefined) out[name] = (a - b) / spawns;
  }
  return out;
}

// ---- the service under test ------------------------------------------------------------

interface Bench {
  readonly dir: string;
  readonly host: string;
  readonly topic: string;
  readonly stateDir: string;
  readonly configFile: string;
  readonly logFile: string;
  service: ChildProcess | null;
}

function newBench(url: string, dockerSocket: string, imageBy: Options['imageBy']): Bench {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-bench-spawn-'));
  const tag = `${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
  const b: Bench = {
    dir,
    host: `ndb-bench-spawn-${tag}`,
    topic: `ndb-bench-spawn-${tag}`,
    stateDir: path.join(dir, 'state'),
    configFile: path.join(dir, 'bench.conf'),
    logFile: path.join(dir, 'service.log'),
    service: null,
  };
  writeFileSync(
    b.configFile,
    [
      '[DEFAULT]',
      `host = ${b.host}`,
      `transport_url = ${url}`,
      'log_format = json',
      'graceful_shutdown_timeout = 10',
      '[bridge]',
      `topic = ${b.topic}`,
      '[compute]',
      `state_dir = ${b.stateDir}`,
      // The name mode measures a lookup by name; the default (glance-id) would download instead.
      `local_image_lookup = ${imageBy === 'name' ? 'any' : 'glance-id'}`,
      '[docker]',
      `host_url = unix://${dockerSocket}`,
      '',
    ].join('\n'),
  );
  return b;
}

async function startService(b: Bench): Promise<void> {
  const log = openSync(b.logFile, 'a');
  const child = spawnProcess(process.execPath, [path.join(REPO, 'bin/nova-docker-bridge.js'), 'serve', '--config-file', b.configFile], { cwd: REPO, stdio: ['ignore', log, log] });
  closeSync(log);
  b.service = child;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) during start-up:\n${readFileSync(b.logFile, 'utf8').slice(-3000)}`);
    if (readFileSync(b.logFile, 'utf8').includes('"msg":"compute service ready"')) return;
    if (Date.now() > deadline) throw new Error(`the service was not ready within 60 s:\n${readFileSync(b.logFile, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopService(b: Bench): Promise<void> {
  const child = b.service;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The service's own spawn durations (its "instance spawned" log line), by instance UUID. */
function serviceSpawnMs(b: Bench): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(b.logFile, 'utf8').split('\n')) {
    if (!line.includes('"instance spawned"')) continue;
    try {
      const o = JSON.parse(line) as { instance?: string; ms?: number };
      if (typeof o.instance === 'string' && typeof o.ms === 'number') out.set(o.instance, o.ms);
    } catch {
      // partial line
    }
  }
  return out;
}

// ---- payloads -----------------------------------------------------------------------------

/** A spawn as the Nova shim sends it: flavor, metadata, a port with DNS servers, the test image. */
function spawnPayload(uuid: string, imageGlanceId: string): Record<string, unknown> {
  return {
    instance: {
      uuid,
      name: `instance-${uuid.slice(0, 8)}`,
      hostname: `bench-${uuid.slice(0, 8)}`,
      display_name: 'bench',
      project_id: 'p1',
      user_id: 'u1',
      flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0, swap: 0, name: 'm1.tiny', extra_specs: {} },
      metadata: { role: 'worker', 'cluster-name': 'bench' },
      system_metadata: {},
      key_data: null,
      user_data: null,
    },
    image_meta: { id: imageGlanceId, name: IMAGE, container_format: 'docker', disk_format: 'raw', properties: { os_command_line: 'sleep 3600' } },
    injected_files: [],
    admin_password: null,
    network_info: [{ id: 'vif', address: 'fa:16:3e:00:00:01', network: { subnets: [{ cidr: '10.0.0.0/24', dns: [{ address: '10.0.0.2' }], ips: [{ address: '10.0.0.5' }] }] } }],
    block_device_info: null,
    power_on: true,
  };
}

// ---- the two ways to spawn ------------------------------------------------------------------

interface Ctx {
  readonly b: Bench;
  readonly docker: Docker;
  readonly client: RpcClient;
  readonly settings: ReturnType<typeof driverSettingsFromConfig>;
  readonly imageId: string;
  readonly hostCpus: number;
  readonly glanceId: string;
  /** Processes whose CPU is accounted per batch. */
  readonly pids: Record<string, number | null>;
}

async function busSpawn(ctx: Ctx, uuid: string): Promise<void> {
  await ctx.client.call('spawn', spawnPayload(uuid, ctx.glanceId));
}

async function busDestroy(ctx: Ctx, uuid: string): Promise<void> {
  await ctx.client.call('destroy', { instance: { uuid } });
}

/** Direct: write the hosts file, create with the same body the service sends, start, inspect until running. */
async function directSpawn(ctx: Ctx, uuid: string): Promise<void> {
  const args = parseSpawnArgs(spawnPayload(uuid, ctx.glanceId));
  const dir = path.join(ctx.b.dir, 'direct', uuid);
  const hostsFilePath = path.join(dir, 'hosts');
  const plan = buildCreatePlan(args, ctx.settings, { image: ctx.imageId, hostCpus: ctx.hostCpus, hostsFilePath, ephemeralDirPath: path.join(dir, 'ephemeral') });
  mkdirSync(dir, { recursive: true });
  writeFileSync(hostsFilePath, hostsFileContent(plan.identity));
  const container = await ctx.docker.createContainer({ name: plan.spec.name, ...toCreateBody(plan.spec) });
  await container.start();
  for (let i = 0; ; i++) {
    const c = await container.inspect();
    if (c.State.Status === 'running') return;
    if (c.State.Status === 'exited' || c.State.Status === 'dead') throw new Error(`direct container ${plan.spec.name} exited (${c.State.ExitCode})`);
    await new Promise((r) => setTimeout(r, Math.min(200, 10 * 2 ** i)));
  }
}

async function directDestroy(ctx: Ctx, uuid: string): Promise<void> {
  await ctx.docker.getContainer(`nova-${uuid}`).remove({ force: true, v: true });
  rmSync(path.join(ctx.b.dir, 'direct', uuid), { recursive: true, force: true });
}

const SPAWN: Record<Mode, (ctx: Ctx, uuid: string) => Promise<void>> = { bus: busSpawn, direct: directSpawn };
const DESTROY: Record<Mode, (ctx: Ctx, uuid: string) => Promise<void>> = { bus: busDestroy, direct: directDestroy };

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** `count` spawns of `mode` with `concurrency` in flight; destroys afterwards (untimed). */
interface BatchResult {
  latencies: number[];
  wall: number;
  uuids: string[];
  cpu: Record<string, number>;
}

async function batch(ctx: Ctx, mode: Mode, count: number, concurrency: number): Promise<BatchResult> {
  const uuids = Array.from({ length: count }, () => randomUUID());
  const latencies: number[] = new Array<number>(count);
  let next = 0;
  const cpu0 = cpuSnapshot(ctx.pids);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) latencies[i] = await timed(() => SPAWN[mode](ctx, uuids[i] as string));
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = cpuPerSpawn(cpu0, cpuSnapshot(ctx.pids), count);
  await cleanupUuids(ctx, mode, uuids, concurrency);
  return { latencies, wall, uuids, cpu };
}

async function cleanupUuids(ctx: Ctx, mode: Mode, uuids: readonly string[], concurrency: number): Promise<void> {
  const queue = [...uuids];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) await DESTROY[mode](ctx, u);
    }),
  );
}

/** Sequential, interleaved: bus and direct alternate, and which goes first alternates too. */
async function sequential(ctx: Ctx, count: number): Promise<Record<Mode, BatchResult>> {
  const out: Record<Mode, BatchResult> = { bus: { latencies: [], wall: 0, uuids: [], cpu: {} }, direct: { latencies: [], wall: 0, uuids: [], cpu: {} } };
  for (let i = 0; i < count; i++) {
    const order: Mode[] = i % 2 === 0 ? ['bus', 'direct'] : ['direct', 'bus'];
    for (const mode of order) {
      const uuid = randomUUID();
      const cpu0 = cpuSnapshot(ctx.pids);
      const ms = await timed(() => SPAWN[mode](ctx, uuid));
      const cpu = cpuPerSpawn(cpu0, cpuSnapshot(ctx.pids), count);
      for (const [k, v] of Object.entries(cpu)) out[mode].cpu[k] = (out[mode].cpu[k] ?? 0) + v;
      out[mode].latencies.push(ms);
      out[mode].wall += ms;
      out[mode].uuids.push(uuid);
      await DESTROY[mode](ctx, uuid);
    }
  }
  return out;
}

function measurement(ctx: Ctx, mode: Mode, concurrency: number, round: number, r: BatchResult): Measurement {
  const m: Measurement = {
    mode,
    concurrency,
    round,
    latencies_ms: r.latencies.map((x) => Math.round(x * 100) / 100),
    wall_ms: Math.round(r.wall),
    stats: stats(r.latencies),
    cpu_ms_per_spawn: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v * 10) / 10])),
  };
  if (mode === 'bus') {
    const svc = serviceSpawnMs(ctx.b);
    const own = r.uuids.map((u) => svc.get(u)).filter((x): x is number => x !== undefined);
    m.service_ms = stats(own);
  }
  return m;
}

async function leftovers(docker: Docker, host: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${host}`] }) });
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const docker = new Docker({ socketPath: o.dockerSocket });
  try {
    await docker.ping();
  } catch (err) {
    process.stderr.write(`bench/spawn: Docker Engine not reachable on ${o.dockerSocket}: ${(err as Error).message} (run scripts/start-services.sh)\n`);
    return 1;
  }
  let image: Docker.ImageInspectInfo;
  try {
    image = await docker.getImage(IMAGE).inspect();
  } catch {
    process.stderr.write(`bench/spawn: image ${IMAGE} missing: run scripts/build-test-image.sh\n`);
    return 1;
  }
  const info = await docker.info();
  const b = newBench(o.url, o.dockerSocket, o.imageBy);
  const bus = new AmqpBus({
    url: parseTransportUrl(o.url),
    logger: silentLogger,
    heartbeatSeconds: 60,
    retryIntervalSeconds: 0.5,
    retryBackoffSeconds: 0.5,
    intervalMaxSeconds: 2,
    publishTimeoutMs: 10_000,
    connectionName: `ndb-bench-spawn-client-${process.pid}`,
  });
  const client = new RpcClient({ bus, exchange: 'nova', topic: b.topic, server: b.host, version: '1.0', timeoutMs: 120_000, flags: DEFAULT_TOPOLOGY_FLAGS });
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    process.stderr.write('bench/spawn: interrupted; cleaning up\n');
  };
  process.once('SIGINT', onSignal);
  const results: Measurement[] = [];
  const glanceId = randomUUID();
  let tagged = false;
  const untag = async (): Promise<void> => {
    // Removes only our tag: the image keeps its other names.
    if (tagged) await docker.getImage(`${GLANCE_REPO}:${glanceId}`).remove({ noprune: true }).catch(() => undefined);
    tagged = false;
  };
  try {
    // start()'s signal bounds the bus's whole life (abort = close): a deadline for start-up only.
    const startDeadline = new AbortController();
    const timer = setTimeout(() => startDeadline.abort(), 20_000);
    try {
      await bus.start(startDeadline.signal);
    } finally {
      clearTimeout(timer);
    }
    await startService(b);
    if (o.imageBy === 'glance-tag') {
      await docker.getImage(IMAGE).tag({ repo: GLANCE_REPO, tag: glanceId });
      tagged = true;
    }
    const localEngine = o.dockerSocket === '/var/run/docker.sock';
    const ctx: Ctx = {
      b,
      docker,
      client,
      settings: driverSettingsFromConfig(loadConfig([b.configFile])),
      imageId: image.Id,
      hostCpus: info.NCPU,
      glanceId,
      pids: {
        client: process.pid,
        service: b.service?.pid ?? null,
        dockerd: localEngine ? pidFromFile('/var/run/docker.pid') : null,
        containerd: localEngine ? pidFromFile('/var/run/docker/containerd/containerd.pid') : null,
        broker: pidByComm('beam.smp'),
      },
    };
    process.stdout.write(
      `bench/spawn: Docker ${info.ServerVersion} (${info.NCPU} CPUs, ${info.Driver}), image ${IMAGE}, ${o.count} spawns sequential and at concurrency ${o.concurrency}, ` +
        `${o.rounds} round(s), warm-up ${o.warmup} per mode, image found by ${o.imageBy === 'glance-tag' ? `its Glance tag ${GLANCE_REPO}:${glanceId}` : 'name (Glance tag absent)'}\n`,
    );
    // Warm-up: first create of an image, connection pools, JIT.
    for (const mode of ['bus', 'direct'] as const) await batch(ctx, mode, o.warmup, 1);
    for (let round = 1; round <= o.rounds && !interrupted; round++) {
      const seq = await sequential(ctx, o.count);
      results.push(measurement(ctx, 'bus', 1, round, seq.bus), measurement(ctx, 'direct', 1, round, seq.direct));
      if (interrupted) break;
      const order: Mode[] = round % 2 === 1 ? ['bus', 'direct'] : ['direct', 'bus'];
      for (const mode of order) results.push(measurement(ctx, mode, o.concurrency, round, await batch(ctx, mode, o.count, o.concurrency)));
    }
  } catch (err) {
    const kept = path.join(os.tmpdir(), `ndb-bench-spawn-failed-${process.pid}.log`);
    try {
      writeFileSync(kept, readFileSync(b.logFile));
    } catch {
      // no log yet
    }
    process.stderr.write(`bench/spawn: measurement failed: ${(err as Error).stack ?? String(err)}\nservice log kept in ${kept}\n`);
    await cleanup(docker, b, client, bus, o.url);
    await untag();
    return 1;
  }
  const left = await leftovers(docker, b.host);
  await cleanup(docker, b, client, bus, o.url);
  await untag();
  if (left.length > 0) process.stderr.write(`bench/spawn: WARNING: ${left.length} container(s) were left behind by the runs (removed now)\n`);

  const report = render(results, o);
  process.stdout.write(report.text);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ options: o, docker: info.ServerVersion, cpus: info.NCPU, results, verdicts: report.verdicts }, null, 2)}\n`);
  return o.strict && !report.allPass ? 1 : 0;
}

async function cleanup(docker: Docker, b: Bench, client: RpcClient, bus: AmqpBus, url: string): Promise<void> {
  await client.close().catch(() => undefined);
  await stopService(b).catch(() => undefined);
  await bus.close().catch(() => undefined);
  for (const c of await leftovers(docker, b.host).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  rmSync(b.dir, { recursive: true, force: true });
  // The service's topic queues (non-durable, not auto-delete) are ours alone.
  await deleteQueues(b, url).catch(() => undefined);
}

async function deleteQueues(b: Bench, url: string): Promise<void> {
  const { default: amqp } = await import('amqplib');
  const t = parseTransportUrl(url);
  const h = t.brokers[0];
  if (!h) return;
  const conn = await amqp.connect({ hostname: h.host, port: h.port, username: h.username, password: h.password, vhost: t.vhost });
  try {
    for (const q of [b.topic, `${b.topic}.${b.host}`]) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function render(results: Measurement[], o: Options): { text: string; verdicts: unknown[]; allPass: boolean } {
  const lines: string[] = ['', 'mode    conc round     n   p50 ms   p90 ms  mean ms   max ms   wall s   service-side mean ms (bus: spawn in the driver)'];
  for (const m of results) {
    const s = m.stats;
    lines.push(
      `${m.mode.padEnd(7)} ${String(m.concurrency).padStart(4)} ${String(m.round).padStart(5)} ${String(s.n).padStart(5)} ${f(s.p50).padStart(8)} ${f(s.p90).padStart(8)} ${f(s.mean).padStart(8)} ${f(s.max).padStart(8)} ${f(m.wall_ms / 1000, 2).padStart(8)}   ${m.service_ms ? f(m.service_ms.mean) : ''}`,
    );
  }
  const procs = [...new Set(results.flatMap((m) => Object.keys(m.cpu_ms_per_spawn)))];
  lines.push('', `CPU ms per spawn    ${procs.map((p) => p.padStart(11)).join('')}`);
  for (const m of results) {
    lines.push(`${m.mode.padEnd(7)} conc ${String(m.concurrency).padStart(3)}    ${procs.map((p) => f(m.cpu_ms_per_spawn[p] ?? NaN).padStart(11)).join('')}`);
  }
  const verdicts: Array<Record<string, unknown>> = [];
  let allPass = true;
  lines.push('');
  for (const conc of [1, o.concurrency]) {
    const pick = (mode: Mode): Measurement[] => results.filter((m) => m.mode === mode && m.concurrency === conc);
    const all = (ms: Measurement[]): number[] => ms.flatMap((m) => m.latencies_ms);
    const bus = stats(all(pick('bus')));
    const direct = stats(all(pick('direct')));
    const wallBus = pick('bus').reduce((a, m) => a + m.wall_ms, 0);
    const wallDirect = pick('direct').reduce((a, m) => a + m.wall_ms, 0);
    const goal = conc === 1 ? GOAL_SEQUENTIAL : GOAL_CONCURRENT;
    const meanRatio = bus.mean / direct.mean;
    const ok = meanRatio <= goal;
    allPass &&= ok;
    const svc = all(pick('bus')).length > 0 ? stats(pick('bus').flatMap((m) => (m.service_ms ? [m.service_ms.mean] : []))) : null;
    verdicts.push({ concurrency: conc, goal, mean_ratio: meanRatio, p50_ratio: bus.p50 / direct.p50, p90_ratio: bus.p90 / direct.p90, wall_ratio: wallBus / wallDirect, pass: ok });
    lines.push(
      `${conc === 1 ? 'sequential   ' : `concurrency ${conc}`}: bus/direct mean = ${f(meanRatio, 3)} (goal <= ${goal}) ${ok ? 'PASS' : 'MISS'}; ` +
        `p50 ${f(bus.p50 / direct.p50, 3)}, p90 ${f(bus.p90 / direct.p90, 3)}, wall ${f(wallBus / wallDirect, 3)}; ` +
        `bus mean ${f(bus.mean)} ms = direct ${f(direct.mean)} ms + ${f(bus.mean - direct.mean)} ms` +
        (svc ? ` (service-side spawn ${f(svc.mean)} ms, so RPC + queueing ≈ ${f(bus.mean - svc.mean)} ms)` : ''),
    );
  }
  lines.push('', allPass ? 'RESULT: PASS (all goals met)' : 'RESULT: MISS (at least one goal not met)', '');
  return { text: lines.join('\n'), verdicts, allPass };
}

process.exitCode = await main();
