/**
 * Boot benchmark (issue 5): `openstack server create` → ACTIVE on a real Nova
 * (Zed, Debian's packages), with this project's driver, next to the same Nova
 * with its in-tree `fake.SmallFakeDriver` (the floor Nova itself imposes:
 * API, scheduler, placement, conductor, compute manager, no hypervisor work)
 * and next to direct Docker create+start of the same image on the same Engine,
 * all in one run.
 *
 * Two all-in-one clouds (test/e2e/aio.sh), each with its own state directory,
 * ports, RabbitMQ vhost and compute host, so neither disturbs the e2e cloud:
 *   ours  .state/bench-bridge  compute_driver = docker_bridge.DockerBridgeDriver
 *   fake  .state/e2e-fake      compute_driver = fake.SmallFakeDriver
 * `aio.sh up` brings each up (idempotent) unless --no-up.
 *
 * A boot is what `openstack server create --image … --flavor … --nic none`
 * sends (POST /servers, the latest microversion, networks "none"), timed from
 * the request until GET /servers/{id} first reports ACTIVE, polled every
 * --poll-ms (the CLI itself adds 2-3 s of Python start-up that is the same for
 * every driver, so it is left out). The image is a docker-format Glance image
 * imported with glance-docker from the local test image, so it is cached on
 * the Engine: no download. Boots are sequential, one server at a time (each
 * is deleted, untimed, before the next), and the two clouds alternate (who
 * goes first swaps every iteration) so drift on the shared machine hits both.
 * Direct: create + start + inspect-until-running through dockerode with the
 * create body the service itself would send (same image, command, limits,
 * network mode, init, hosts-file mount), also alternated.
 *
 * Goal: ours p50 ≤ fake p50 + 0.5 s.
 *
 * Usage: npx tsx bench/boot/run.ts [--boots 20] [--warmup 2] [--poll-ms 50]
 *          [--no-up] [--down-fake] [--json FILE] [--strict]
 * Exit status: 0 when every boot completed (MISS is a result, not a failure,
 * unless --strict), 1 on a failed boot or set-up, 2 on bad arguments.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { driverSettingsFromConfig } from '../../src/compute/driver-settings.js';
import { parseSpawnArgs } from '../../src/compute/payloads.js';
import { buildCreatePlan } from '../../src/compute/translate/create-spec.js';
import { hostsFileContent } from '../../src/compute/translate/hosts-file.js';
import { loadConfig } from '../../src/config/load-config.js';
import { toCreateBody } from '../../src/docker/create-body.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const AIO = path.join(REPO, 'test/e2e/aio.sh');
const IMAGE = 'nova-docker-bridge-test/busybox:latest';
const COMMAND_LINE = 'sleep 3600';
const FLAVOR = { name: 'bench.boot', vcpus: 1, ram: 64, disk: 1 };
const GOAL_MARGIN_S = 0.5;
const run = promisify(execFile);

/** One all-in-one cloud: the aio.sh environment that addresses it. */
interface Cloud {
  readonly label: 'ours' | 'fake';
  readonly driver: string;
  readonly env: Record<string, string>;
  readonly novaUrl: string;
  readonly glanceUrl: string;
}

interface Ports {
  readonly db: number;
  readonly glance: number;
  readonly placement: number;
  readonly nova: number;
  readonly neutron: number;
}

function cloud(label: Cloud['label'], driver: string, state: string, host: string, ports: Ports): Cloud {
  return {
    label,
    driver,
    env: {
      E2E_STATE: path.join(REPO, state),
      E2E_HOST: host,
      E2E_VHOST: host,
      E2E_DRIVER: driver,
      E2E_DB_PORT: String(ports.db),
      E2E_GLANCE_PORT: String(ports.glance),
      E2E_PLACEMENT_PORT: String(ports.placement),
      E2E_NOVA_PORT: String(ports.nova),
      E2E_NEUTRON_PORT: String(ports.neutron),
      // The product default; the e2e cloud sets a grace so early exits fail deterministically.
      E2E_START_GRACE_MS: '0',
      // The fake driver needs no shim; ours installs the tree under test.
      E2E_SHIM_INSTALL: driver.startsWith('docker_bridge.') ? 'copy' : 'none',
    },
    novaUrl: `http://127.0.0.1:${ports.nova}/v2.1`,
    glanceUrl: `http://127.0.0.1:${ports.glance}`,
  };
}

// Ports apart from the e2e cloud's (3307, 19392, 18778, 18774, 19696) and the test Glance's (19292).
const OURS = cloud('ours', 'docker_bridge.DockerBridgeDriver', '.state/bench-bridge', 'bench-bridge', {
  db: 3327,
  glance: 19492,
  placement: 18878,
  nova: 18874,
  neutron: 19796,
});
const FAKE = cloud('fake', 'fake.SmallFakeDriver', '.state/e2e-fake', 'e2e-fake', {
  db: 3337,
  glance: 19592,
  placement: 18978,
  nova: 18974,
  neutron: 19896,
});

interface Options {
  boots: number;
  warmup: number;
  pollMs: number;
  up: boolean;
  downFake: boolean;
  json: string | null;
  strict: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`bench/boot: ${msg}\nusage: npx tsx bench/boot/run.ts [--boots 20] [--warmup 2] [--poll-ms 50] [--no-up] [--down-fake] [--json FILE] [--strict]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { boots: 20, warmup: 2, pollMs: 50, up: true, downFake: false, json: null, strict: false };
  const int = (v: string | undefined, flag: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`${flag} needs an integer ≥ ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--boots':
        o.boots = int(argv[++i], flag, 1);
        break;
      case '--warmup':
        o.warmup = int(argv[++i], flag, 0);
        break;
      case '--poll-ms':
        o.pollMs = int(argv[++i], flag, 5);
        break;
      case '--no-up':
        o.up = false;
        break;
      case '--down-fake':
        o.downFake = true;
        break;
      case '--json':
        o.json = argv[++i] ?? usage('--json needs a file');
        break;
      case '--strict':
        o.strict = true;
        break;
      default:
        usage(`unknown option ${flag}`);
    }
  }
  return o;
}

// ---- statistics ---------------------------------------------------------------------

interface Stats {
  n: number;
  p50: number;
  p90: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles, as the other benchmarks here. */
function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

const sec = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(3) : 'n/a');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

// ---- the clouds --------------------------------------------------------------------------

async function aio(c: Cloud, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run('bash', [AIO, ...args], { env: { ...process.env, ...c.env }, timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`aio.sh ${args.join(' ')} (${c.label}, ${c.env.E2E_STATE}) failed: ${(e.stderr || e.stdout || e.message).trim().slice(-2000)}`, { cause: err });
  }
}

/** JSON over HTTP to a noauth2 endpoint of the cloud (token admin:admin, as aio.sh's clouds.yaml). */
async function api(
  url: string,
  method: string,
  body?: unknown,
  ok: number[] = [200, 201, 202, 204],
  contentType = 'application/json',
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: { 'X-Auth-Token': 'admin:admin', 'Content-Type': contentType, 'OpenStack-API-Version': 'compute latest' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/**
 * The docker-format Glance image of the test image (imported once with
 * glance-docker). glance-docker records hypervisor_type=docker and
 * vm_mode=exe, which Nova's ImagePropertiesFilter matches against the
 * driver's supported_instances; the fake driver reports (x86_64, fake, hvm),
 * so on the fake cloud both properties are removed, or nothing would boot.
 */
async function ensureImage(c: Cloud): Promise<string> {
  const name = 'bench-boot-busybox';
  const found = (await api(`${c.glanceUrl}/v2/images?name=${name}&status=active`, 'GET')).json.images as Array<{ id: string }>;
  if (found[0]) return found[0].id;
  let id: string;
  try {
    const { stdout } = await run(
      process.execPath,
      [path.join(REPO, 'bin/glance-docker.js'), 'import', '--from-docker', IMAGE, '--name', name, '--property', `os_command_line=${COMMAND_LINE}`, '--os-image-url', c.glanceUrl, '--wait', '--quiet', '--format', 'json'],
      { cwd: REPO, timeout: 300_000, maxBuffer: 16 << 20 },
    );
    id = (JSON.parse(stdout) as { image: { id: string } }).image.id;
  } catch (err) {
    throw new Error(`glance-docker import into ${c.glanceUrl} (${c.label}) failed: ${(err as Error).message}`, { cause: err });
  }
  if (c.label === 'fake') {
    const patch = ['hypervisor_type', 'vm_mode'].map((p) => ({ op: 'remove', path: `/${p}` }));
    await api(`${c.glanceUrl}/v2/images/${id}`, 'PATCH', patch, [200], 'application/openstack-images-v2.1-json-patch');
  }
  return id;
}

async function ensureFlavor(c: Cloud): Promise<string> {
  const list = (await api(`${c.novaUrl}/flavors`, 'GET')).json.flavors as Array<{ id: string; name: string }>;
  const have = list.find((f) => f.name === FLAVOR.name);
  if (have) return have.id;
  return (await api(`${c.novaUrl}/flavors`, 'POST', { flavor: { ...FLAVOR, id: 'auto' } })).json.flavor.id as string;
}

interface Target {
  readonly c: Cloud;
  readonly image: string;
  readonly flavor: string;
}

/** POST /servers → ACTIVE, in ms; then DELETE → 404 (untimed for the goal, reported). */
async function boot(t: Target, name: string, pollMs: number): Promise<{ id: string; ms: number; deleteMs: number }> {
  const started = now();
  const { json } = await api(`${t.c.novaUrl}/servers`, 'POST', { server: { name, imageRef: t.image, flavorRef: t.flavor, networks: 'none' } });
  const id = json.server.id as string;
  let ms = NaN;
  let failure: unknown = null;
  try {
    for (;;) {
      const s = (await api(`${t.c.novaUrl}/servers/${id}`, 'GET')).json.server;
      if (s.status === 'ACTIVE') {
        ms = now() - started;
        break;
      }
      if (s.status === 'ERROR') throw new Error(`${t.c.label}: server ${name} went to ERROR: ${s.fault?.message ?? 'no fault'}`);
      if (now() - started > 300_000) throw new Error(`${t.c.label}: server ${name} not ACTIVE after 300 s (status ${s.status})`);
      await sleep(pollMs);
    }
  } catch (err) {
    failure = err;
  }
  // Always deleted, also after a failure, and gone before the next boot starts.
  const deleteMs = await deleteServer(t, id, name, pollMs);
  if (failure) throw failure;
  return { id, ms, deleteMs };
}

async function deleteServer(t: Target, id: string, name: string, pollMs: number): Promise<number> {
  const started = now();
  await api(`${t.c.novaUrl}/servers/${id}`, 'DELETE', undefined, [204, 404]);
  for (;;) {
    const { status } = await api(`${t.c.novaUrl}/servers/${id}`, 'GET', undefined, [200, 404]);
    if (status === 404) return now() - started;
    if (now() - started > 120_000) throw new Error(`${t.c.label}: server ${name} still exists 120 s after DELETE`);
    await sleep(pollMs);
  }
}

// ---- direct Docker ----------------------------------------------------------------------------

interface Direct {
  readonly docker: Docker;
  readonly settings: ReturnType<typeof driverSettingsFromConfig>;
  readonly imageId: string;
  readonly hostCpus: number;
  readonly dir: string;
}

/**
 * Direct create + start + inspect-until-running with the very create body the
 * service sends for this flavor and image (built by the service's own
 * translation functions from the "ours" cloud's service configuration:
 * network mode, init, hosts-file bind mount, limits), so the comparison is
 * Docker's cost for the same container. Removal is outside the timed part.
 */
async function direct(d: Direct, name: string): Promise<number> {
  const uuid = randomUUID();
  const args = parseSpawnArgs({
    instance: {
      uuid,
      name,
      hostname: name.slice(0, 63),
      flavor: { vcpus: FLAVOR.vcpus, memory_mb: FLAVOR.ram, root_gb: FLAVOR.disk, ephemeral_gb: 0, swap: 0, name: FLAVOR.name, extra_specs: {} },
      metadata: {},
      system_metadata: {},
    },
    image_meta: { id: null, name: IMAGE, container_format: 'docker', disk_format: 'raw', properties: { os_command_line: COMMAND_LINE } },
    injected_files: [],
    network_info: [],
    power_on: true,
  });
  const hostsFilePath = path.join(d.dir, uuid, 'hosts');
  const plan = buildCreatePlan(args, d.settings, { image: d.imageId, hostCpus: d.hostCpus, hostsFilePath, ephemeralDirPath: path.join(d.dir, uuid, 'ephemeral') });
  const body = toCreateBody(plan.spec);
  // Not the service's labels: its reconciliation must never see these.
  body.Labels = { [BENCH_LABEL]: '1' };
  const started = now();
  mkdirSync(path.dirname(hostsFilePath), { recursive: true });
  writeFileSync(hostsFilePath, hostsFileContent(plan.identity));
  const container = await d.docker.createContainer({ name: `bench-boot-${uuid}`, ...body });
  try {
    await container.start();
    for (let i = 0; ; i++) {
      const c = await container.inspect();
      if (c.State.Status === 'running') return now() - started;
      if (c.State.Status === 'exited' || c.State.Status === 'dead') throw new Error(`direct container ${name} exited (${c.State.ExitCode})`);
      await sleep(Math.min(200, 10 * 2 ** i));
    }
  } finally {
    await container.remove({ force: true, v: true });
    rmSync(path.dirname(hostsFilePath), { recursive: true, force: true });
  }
}

const BENCH_LABEL = 'nova-docker-bridge.bench-boot';

// ---- main -----------------------------------------------------------------------------------------

interface Sample {
  side: 'ours' | 'fake' | 'direct';
  i: number;
  ms: number;
  deleteMs?: number;
  /** Nova's server ID. */
  id?: string;
}

// ---- where the time goes: the services' own logs -----------------------------------------------

/**
 * Per instance, from nova-compute's log: "Took X seconds to build instance"
 * (claim, network, driver.spawn, get_info, DB updates) and "Took X seconds to
 * spawn the instance on the hypervisor" (driver.spawn as Nova times it); from
 * the compute service's log: its own spawn time ("instance spawned … ms=N").
 */
function logTimes(c: Cloud, ids: readonly string[]): { buildMs: number[]; spawnMs: number[]; serviceMs: number[] } {
  const want = new Set(ids);
  const read = (f: string): string[] => {
    try {
      return readFileSync(path.join(c.env.E2E_STATE as string, 'logs', f), 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  const buildMs: number[] = [];
  const spawnMs: number[] = [];
  for (const line of read('nova-compute.log')) {
    const m = /\[instance: ([0-9a-f-]{36})\] Took ([0-9.]+) seconds to (build instance|spawn the instance)/.exec(line);
    if (!m || !want.has(m[1] as string)) continue;
    (m[3] === 'build instance' ? buildMs : spawnMs).push(Number(m[2]) * 1000);
  }
  const serviceMs: number[] = [];
  for (const line of read('bridge.out')) {
    const m = /instance spawned instance=([0-9a-f-]{36}) .*\bms=(\d+)/.exec(line);
    if (m && want.has(m[1] as string)) serviceMs.push(Number(m[2]));
  }
  return { buildMs, spawnMs, serviceMs };
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let imageId: string;
  try {
    imageId = (await docker.getImage(IMAGE).inspect()).Id;
  } catch {
    throw new Error(`the test image ${IMAGE} is missing: run scripts/setup.sh (scripts/build-test-image.sh)`);
  }
  const commit = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO })).stdout.trim();
  const dirty = (await run('git', ['status', '--porcelain', '--', 'nova-shim/docker_bridge', 'src'], { cwd: REPO })).stdout.trim() !== '';

  if (o.up) {
    for (const c of [OURS, FAKE]) {
      const t = now();
      process.stderr.write(`bench/boot: aio.sh up (${c.label}: ${c.driver}, ${c.env.E2E_STATE}) …\n`);
      await aio(c, ['up'], 900_000);
      process.stderr.write(`bench/boot: ${c.label} up in ${sec(now() - t)} s\n`);
    }
  }
  const targets: Record<'ours' | 'fake', Target> = {
    ours: { c: OURS, image: await ensureImage(OURS), flavor: await ensureFlavor(OURS) },
    fake: { c: FAKE, image: await ensureImage(FAKE), flavor: await ensureFlavor(FAKE) },
  };
  const d: Direct = {
    docker,
    // The service's own configuration in the "ours" cloud (written by aio.sh up).
    settings: driverSettingsFromConfig(loadConfig([path.join(OURS.env.E2E_STATE as string, 'bridge', 'nova-docker-bridge.conf')])),
    imageId,
    hostCpus: (await docker.info()).NCPU as number,
    dir: mkdtempSync(path.join(os.tmpdir(), 'ndb-bench-boot-')),
  };
  const run_id = randomBytes(3).toString('hex');
  const loadBefore = os.loadavg()[0] ?? NaN;
  const samples: Sample[] = [];
  const order = (i: number): Array<'ours' | 'fake' | 'direct'> => (i % 2 === 0 ? ['ours', 'fake', 'direct'] : ['direct', 'fake', 'ours']);

  const one = async (side: 'ours' | 'fake' | 'direct', i: number): Promise<Sample> => {
    const name = `bench-boot-${run_id}-${side}-${i}`;
    if (side === 'direct') return { side, i, ms: await direct(d, name) };
    const r = await boot(targets[side], name, o.pollMs);
    return { side, i, ms: r.ms, deleteMs: r.deleteMs, id: r.id };
  };

  process.stderr.write(`bench/boot: ${o.warmup} warm-up + ${o.boots} boots per side (ours, fake, direct), sequential, alternating\n`);
  for (let i = 0; i < o.warmup; i++) for (const side of order(i)) await one(side, -1 - i);
  for (let i = 0; i < o.boots; i++) {
    for (const side of order(i)) {
      const s = await one(side, i);
      samples.push(s);
      process.stderr.write(`  ${String(i + 1).padStart(2)} ${side.padEnd(6)} ${sec(s.ms)} s${s.deleteMs !== undefined ? `   (delete ${sec(s.deleteMs)} s)` : ''}\n`);
    }
  }

  const by = (side: Sample['side']): Stats => stats(samples.filter((s) => s.side === side).map((s) => s.ms));
  const del = (side: Sample['side']): Stats => stats(samples.filter((s) => s.side === side && s.deleteMs !== undefined).map((s) => s.deleteMs as number));
  const st = { ours: by('ours'), fake: by('fake'), direct: by('direct') };
  const overheadMs = st.ours.p50 - st.fake.p50;
  const idsOf = (side: 'ours' | 'fake'): string[] => samples.filter((x) => x.side === side && x.id).map((x) => x.id as string);
  const times = { ours: logTimes(OURS, idsOf('ours')), fake: logTimes(FAKE, idsOf('fake')) };
  const pass = overheadMs <= GOAL_MARGIN_S * 1000;

  const lines = [
    `Boot to ACTIVE (POST /servers → GET shows ACTIVE, poll ${o.pollMs} ms), ${o.boots} sequential boots per side after ${o.warmup} warm-up; commit ${commit}${dirty ? '-dirty' : ''}; ${os.cpus().length} CPUs, 1-min load average ${loadBefore.toFixed(1)} before and ${(os.loadavg()[0] ?? NaN).toFixed(1)} after`,
    '',
    '| path | n | p50 s | p90 s | mean s | min s | max s | delete p50 s |',
    '|---|---|---|---|---|---|---|---|',
    ...(['ours', 'fake', 'direct'] as const).map((side) => {
      const s = st[side];
      const d = side === 'direct' ? '–' : sec(del(side).p50);
      const label = side === 'ours' ? 'Nova + docker_bridge' : side === 'fake' ? 'Nova + fake.SmallFakeDriver' : 'direct Docker create+start';
      return `| ${label} | ${s.n} | ${sec(s.p50)} | ${sec(s.p90)} | ${sec(s.mean)} | ${sec(s.min)} | ${sec(s.max)} | ${d} |`;
    }),
    '',
    'Where the time goes (p50 s, from the services\' logs; Nova logs with 10 ms resolution):',
    '',
    '| path | nova-compute build | driver.spawn (Nova\'s view) | compute service spawn |',
    '|---|---|---|---|',
    ...(['ours', 'fake'] as const).map((side) => {
      const t = times[side];
      const label = side === 'ours' ? 'Nova + docker_bridge' : 'Nova + fake.SmallFakeDriver';
      return `| ${label} | ${sec(stats(t.buildMs).p50)} (n=${t.buildMs.length}) | ${sec(stats(t.spawnMs).p50)} | ${t.serviceMs.length ? sec(stats(t.serviceMs).p50) : '–'} |`;
    }),
    '',
    `ours/fake p50: ${(st.ours.p50 / st.fake.p50).toFixed(2)}×   ours/direct p50: ${(st.ours.p50 / st.direct.p50).toFixed(1)}×   ours − fake p50: ${sec(overheadMs)} s`,
    `Goal ours p50 ≤ fake p50 + ${GOAL_MARGIN_S} s: ${pass ? 'PASS' : 'MISS'} (${sec(st.ours.p50)} ≤ ${sec(st.fake.p50 + GOAL_MARGIN_S * 1000)})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ commit, dirty, options: o, cpus: os.cpus().length, loadavg: os.loadavg(), stats: st, overheadMs, pass, logTimes: times, samples }, null, 2)}\n`);
  }
  rmSync(d.dir, { recursive: true, force: true });
  if (o.downFake) {
    await aio(FAKE, ['down'], 120_000);
    process.stderr.write('bench/boot: the fake-driver cloud is down (state kept)\n');
  }
  return !pass && o.strict ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/boot: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
