/**
 * vitest globalSetup of the e2e project. End-to-end tests never skip: this
 * brings the all-in-one up (test/e2e/aio.sh up: idempotent, ~2 s when it
 * runs, ~20 s cold) or fails the run with the reason and the fix, then makes
 * what every test file shares: the flavors, one Glance image imported with
 * glance-docker, and the id of aio.sh's Neutron network.
 */
import type { TestProject } from 'vitest/node';
import { REPO_ROOT, TEST_IMAGE, run } from '../helpers/services.js';
import { cliEnv, deleteServers, type E2eContext, type E2eFlavor, type E2eNetwork } from './helpers/cloud.js';

const AIO = `${REPO_ROOT}test/e2e/aio.sh`;
/** Names of everything a run creates start with this, then the run's start time in base 36. */
const NAME_ROOT = 'e2e-';
/** Leftovers of runs older than this (a killed run never tore down) are removed. */
const STALE_MS = 60 * 60 * 1000;
const FLAVOR: Omit<E2eFlavor, 'id'> = { name: 'e2e.tiny', vcpus: 1, ramMb: 96, diskGb: 1, ephemeralGb: 0 };
const RESIZE_FLAVOR: Omit<E2eFlavor, 'id'> = { name: 'e2e.small', vcpus: 2, ramMb: 128, diskGb: 1, ephemeralGb: 0 };
const EPHEMERAL_FLAVOR: Omit<E2eFlavor, 'id'> = { name: 'e2e.ephemeral', vcpus: 1, ramMb: 96, diskGb: 1, ephemeralGb: 2 };
const CONSOLE_MARKER = 'e2e-console-ready';
/** The shared provider network aio.sh up makes (Neutron, flat, on this host). */
const NETWORK_NAME = 'e2e-net';
/**
 * The image's command: prints a console line with the host name, then idles.
 * It ends on SIGTERM at once (a shell as PID 1 ignores signals it does not
 * trap), so `server stop` and soft reboot take milliseconds instead of Nova's
 * 60 s clean-shutdown timeout.
 */
const COMMAND_LINE = `sh -c 'echo ${CONSOLE_MARKER} host=$(hostname); trap "exit 0" TERM; sleep 1000000 & wait'`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  await step('scripts/start-services.sh (RabbitMQ, dockerd)', ['bash', `${REPO_ROOT}scripts/start-services.sh`, '--quiet'], 240_000);
  await step(`scripts/build-test-image.sh (${TEST_IMAGE})`, ['bash', `${REPO_ROOT}scripts/build-test-image.sh`, '--quiet'], 180_000);
  const up = await step('test/e2e/aio.sh up (the all-in-one Nova)', ['bash', AIO, 'up'], 900_000);
  const cloudsYaml = /OS_CLIENT_CONFIG_FILE=(\S+)/.exec(up)?.[1];
  const computeHost = /compute host (\S+?);/.exec(up)?.[1];
  if (!cloudsYaml || !computeHost) throw new Error(`e2e set-up: cannot read the cloud's settings from the output of aio.sh up:\n${up.slice(-1500)}`);
  const env = cliEnv(cloudsYaml);

  const runId = started.toString(36);
  const prefix = `${NAME_ROOT}${runId}`;
  await removeStale(env, cloudsYaml, started);
  const flavor = await ensureFlavor(env, FLAVOR);
  const resizeFlavor = await ensureFlavor(env, RESIZE_FLAVOR);
  const ephemeralFlavor = await ensureFlavor(env, EPHEMERAL_FLAVOR);
  const image = await importImage(env, `${prefix}-busybox`);
  const network = await sharedNetwork(env);

  const context: E2eContext = {
    cloudsYaml,
    computeHost,
    imageId: image.id,
    dockerImageId: image.dockerImageId,
    flavor,
    resizeFlavor,
    ephemeralFlavor,
    prefix,
    consoleMarker: CONSOLE_MARKER,
    network,
  };
  project.provide('e2e', context);
  console.log(`e2e: all-in-one ready in ${((Date.now() - started) / 1000).toFixed(1)} s; image ${image.id}, flavor ${flavor.name}, names ${prefix}-*`);

  return async () => {
    // Test files delete what they made; this catches what a failed test left behind.
    await removeServers(env, cloudsYaml, (name) => name.startsWith(`${prefix}-`));
    await removeImages(env, (name) => name.startsWith(`${prefix}-`));
    // The all-in-one stays up: the next run (and other users of it) start in seconds.
  };
}

async function step(what: string, argv: string[], timeoutMs: number): Promise<string> {
  try {
    const r = await run(argv[0]!, argv.slice(1), { timeoutMs });
    return r.stdout;
  } catch (err) {
    throw new Error(
      `e2e set-up: ${what} failed: ${(err as Error).message}\n` +
        'Fix: scripts/setup.sh --with-nova installs the packages; test/e2e/aio.sh status and test/e2e/aio.sh logs show what runs and why not.',
      { cause: err },
    );
  }
}

async function os(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return (await run('openstack', args, { env, timeoutMs: 180_000 })).stdout;
}

async function osJson<T>(env: NodeJS.ProcessEnv, args: string[]): Promise<T> {
  return JSON.parse(await os(env, [...args, '-f', 'json'])) as T;
}

/** A shared flavor, created once and reused by later runs (recreated if its sizes differ). */
async function ensureFlavor(env: NodeJS.ProcessEnv, want: Omit<E2eFlavor, 'id'>): Promise<E2eFlavor> {
  const rows = await osJson<Array<{ ID: string; Name: string; RAM: number; Disk: number; Ephemeral: number; VCPUs: number }>>(env, ['flavor', 'list', '--all']);
  const found = rows.find((f) => f.Name === want.name);
  if (found && found.RAM === want.ramMb && found.Disk === want.diskGb && found.Ephemeral === want.ephemeralGb && found.VCPUs === want.vcpus) return { ...want, id: found.ID };
  if (found) await os(env, ['flavor', 'delete', found.ID]);
  const made = await osJson<{ id: string }>(env, [
    'flavor', 'create', '--vcpus', String(want.vcpus), '--ram', String(want.ramMb), '--disk', String(want.diskGb), '--ephemeral', String(want.ephemeralGb), want.name,
  ]);
  return { ...want, id: made.id };
}

/** The provider network aio.sh made, and its subnet. */
async function sharedNetwork(env: NodeJS.ProcessEnv): Promise<E2eNetwork> {
  const net = await osJson<{ id: string; name: string; subnets: string[] | string }>(env, ['network', 'show', NETWORK_NAME]);
  const subnetId = Array.isArray(net.subnets) ? net.subnets[0] : net.subnets.split(',')[0]?.trim();
  if (!subnetId) throw new Error(`e2e set-up: network ${NETWORK_NAME} has no subnet; test/e2e/aio.sh up makes one`);
  const subnet = await osJson<{ cidr: string; gateway_ip: string }>(env, ['subnet', 'show', subnetId]);
  return { id: net.id, name: net.name, cidr: subnet.cidr, gateway: subnet.gateway_ip };
}

/** glance-docker import of the busybox test image, straight from the local Engine. */
async function importImage(env: NodeJS.ProcessEnv, name: string): Promise<{ id: string; dockerImageId: string }> {
  const out = await run(
    process.execPath,
    [`${REPO_ROOT}bin/glance-docker.js`, 'import', '--from-docker', TEST_IMAGE, '--name', name, '--property', `os_command_line=${COMMAND_LINE}`, '--wait', '--quiet', '--format', 'json'],
    { env, timeoutMs: 180_000 },
  ).catch((err: unknown) => {
    throw new Error(`e2e set-up: glance-docker import --from-docker ${TEST_IMAGE} failed: ${(err as Error).message}`, { cause: err });
  });
  const result = JSON.parse(out.stdout) as { image: { id: string; status: string }; docker: { image_id: string } };
  if (result.image.status !== 'active') throw new Error(`e2e set-up: imported image ${result.image.id} is ${result.image.status}, not active`);
  return { id: result.image.id, dockerImageId: result.docker.image_id };
}

/** Servers and images of earlier runs that were killed before their teardown. */
async function removeStale(env: NodeJS.ProcessEnv, cloudsYaml: string, now: number): Promise<void> {
  const stale = (name: string): boolean => {
    const m = /^e2e-([0-9a-z]{6,})-/.exec(name);
    if (!m) return false;
    const t = parseInt(m[1]!, 36);
    return Number.isFinite(t) && now - t > STALE_MS;
  };
  await removeServers(env, cloudsYaml, stale);
  await removeImages(env, stale);
}

async function removeServers(env: NodeJS.ProcessEnv, cloudsYaml: string, match: (name: string) => boolean): Promise<void> {
  const rows = await osJson<Array<{ ID: string; Name: string }>>(env, ['server', 'list', '--name', `^${NAME_ROOT}`]);
  await deleteServers(rows.filter((r) => match(r.Name)).map((r) => r.ID), { cloudsYaml, once: true });
}

/** Deletes our Glance images, and the copies the compute service loaded from them (tag glance-image:<id>). */
async function removeImages(env: NodeJS.ProcessEnv, match: (name: string) => boolean): Promise<void> {
  const rows = await osJson<Array<{ ID: string; Name: string }>>(env, ['image', 'list']);
  const ids = rows.filter((r) => match(r.Name)).map((r) => r.ID);
  if (ids.length === 0) return;
  await os(env, ['image', 'delete', ...ids]);
  for (const id of ids) await run('docker', ['rmi', `glance-image:${id}`]).catch(() => undefined);
}
