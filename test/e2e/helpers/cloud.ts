/**
 * The end-to-end tests' view of the all-in-one cloud (test/e2e/aio.sh): every
 * OpenStack action goes through the `openstack` CLI, as a user would type it,
 * and every check on the compute host through the `docker` CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { run, waitFor } from '../../helpers/services.js';
import { OpenstackSession } from './openstack-session.js';

/** What e2e-global-setup.ts hands to the test files. */
export interface E2eContext {
  /** OS_CLIENT_CONFIG_FILE of the all-in-one (clouds `e2e` and `e2e-placement`). */
  readonly cloudsYaml: string;
  /** Compute host = node = resource provider name ([DEFAULT] host). */
  readonly computeHost: string;
  /** Glance image imported with glance-docker for this run (busybox test image). */
  readonly imageId: string;
  /** Docker image ID the Glance image carries (`docker_image_id`). */
  readonly dockerImageId: string;
  /** Flavor every test boots with. */
  readonly flavor: E2eFlavor;
  /** A bigger flavor to resize to. */
  readonly resizeFlavor: E2eFlavor;
  /** The shared flavor's sizes plus an ephemeral disk. */
  readonly ephemeralFlavor: E2eFlavor;
  /** Prefix of every name this run creates (servers, images): `e2e-<run id>`. */
  readonly prefix: string;
  /** The line the image's command prints first (console log check). */
  readonly consoleMarker: string;
  /** aio.sh's shared flat provider network (Neutron ML2/linuxbridge, no DHCP, no port security). */
  readonly network: E2eNetwork;
}

/** A Neutron network servers can be booted on (`--nic net-id=`). */
export interface E2eNetwork {
  readonly id: string;
  readonly name: string;
  /** Its IPv4 subnet, e.g. 10.219.0.0/24. */
  readonly cidr: string;
  /** The subnet's gateway: an address of this host, which reaches the instances through the network's bridge. */
  readonly gateway: string;
}

/** The shared flavor. */
export interface E2eFlavor {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly ephemeralGb: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}

/** The run's context, provided by the global set-up. */
export function e2e(): E2eContext {
  return inject('e2e');
}

/** Nova's power_state values (nova/compute/power_state.py). */
export const POWER_STATE = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;

/**
 * An environment for the CLI with nothing of the caller's OS_* settings: a
 * stray OS_AUTH_URL or OS_TOKEN would silently point the tests elsewhere.
 */
export function cliEnv(cloudsYaml: string, cloud = 'e2e'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OS_')) env[k] = v;
  }
  env.OS_CLIENT_CONFIG_FILE = cloudsYaml;
  env.OS_CLOUD = cloud;
  return env;
}

/** Options of {@link openstack}. */
export interface OpenstackOptions {
  /** Cloud of clouds.yaml: `e2e` (default) or `e2e-placement` (osc-placement). */
  cloud?: string;
  timeoutMs?: number;
  /** clouds.yaml; default: the run's (inject). */
  cloudsYaml?: string;
  /** A process of its own instead of the shared interactive one (the global set-up's process must not keep children). */
  once?: boolean;
}

const sessions = new Map<string, OpenstackSession>();

/**
 * Runs `openstack ARGS` against the all-in-one; resolves with stdout. Goes
 * through one interactive `openstack` process per cloud (see
 * openstack-session.ts) unless `once` is set or an argument needs quoting.
 */
export async function openstack(args: readonly string[], options: OpenstackOptions = {}): Promise<string> {
  const cloudsYaml = options.cloudsYaml ?? e2e().cloudsYaml;
  const cloud = options.cloud ?? 'e2e';
  const timeoutMs = options.timeoutMs ?? 120_000;
  const env = cliEnv(cloudsYaml, cloud);
  if (options.once || !OpenstackSession.accepts(args)) {
    return (await run('openstack', args, { env, timeoutMs })).stdout;
  }
  const key = `${cloudsYaml}\0${cloud}`;
  let session = sessions.get(key);
  if (!session) {
    session = new OpenstackSession(env);
    sessions.set(key, session);
  }
  return session.run(args, timeoutMs);
}

/** Ends the interactive openstack processes of this test file (afterAll). */
export function closeOpenstackSessions(): void {
  for (const s of sessions.values()) s.close();
  sessions.clear();
}

/** Runs `openstack ARGS -f json` and parses the output. */
export async function openstackJson<T>(args: readonly string[], options: OpenstackOptions = {}): Promise<T> {
  const out = await openstack([...args, '-f', 'json'], options);
  // `--wait` prints progress before the document.
  const start = out.search(/^[[{]/m);
  try {
    return JSON.parse(start < 0 ? out : out.slice(start)) as T;
  } catch (err) {
    throw new Error(`openstack ${args.join(' ')} -f json printed no JSON: ${out.slice(0, 500)}`, { cause: err });
  }
}

/** The fields of `openstack server show -f json` the tests read. */
export interface ServerView {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:power_state': number | string;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:vm_state': string;
  'OS-EXT-SRV-ATTR:hostname'?: string;
  'OS-EXT-SRV-ATTR:instance_name'?: string;
  'OS-EXT-SRV-ATTR:host'?: string | null;
  fault?: { code: number; message: string; details?: string };
  image?: string;
  properties?: Record<string, string>;
  /** Network name → addresses (`server show -f json`). */
  addresses?: Record<string, string[]>;
  /** Microversion ≥ 2.47: the flavor embedded in the server. */
  flavor?: { original_name: string; vcpus: number; ram: number; disk: number };
}

export async function serverShow(idOrName: string): Promise<ServerView> {
  return openstackJson<ServerView>(['server', 'show', idOrName]);
}

/**
 * Nova's power state as a number: the CLI prints it as a number with `-f json`
 * in OSC 6 but formats it ("Running") in some versions.
 */
export function powerState(server: ServerView): number {
  const raw = server['OS-EXT-STS:power_state'];
  if (typeof raw === 'number') return raw;
  const byName: Record<string, number> = { 'no state': 0, nostate: 0, running: 1, paused: 3, shutdown: 4, crashed: 6, suspended: 7 };
  const n = byName[raw.trim().toLowerCase()];
  if (n === undefined) throw new Error(`unknown power state ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Polls `server show` until the server has `status` and no task in flight.
 * ERROR (when not awaited) ends the wait at once with the fault.
 */
export async function waitForServer(id: string, status: string, timeoutMs = 120_000): Promise<ServerView> {
  let last: ServerView | undefined;
  try {
    return await waitFor(
      async () => {
        const s = await serverShow(id);
        last = s;
        if (s.status === 'ERROR' && status !== 'ERROR') {
          throw new FatalServerError(`server ${id} went to ERROR: ${s.fault?.message ?? '(no fault)'}`);
        }
        // A build that finished ACTIVE does not turn into ERROR later: say so now, not at the timeout.
        if (status === 'ERROR' && s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null) {
          throw new FatalServerError(`server ${id} went ACTIVE where ERROR was expected`);
        }
        return s.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
      },
      { what: `server ${id} ${status}`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    if (err instanceof FatalServerError) throw err;
    throw new Error(`${(err as Error).message}; last seen: status ${last?.status}, task ${last?.['OS-EXT-STS:task_state']}`, { cause: err });
  }
}

class FatalServerError extends Error {}

/**
 * Boots a server from `image` with the shared flavor (or `flavor`), without a
 * port unless `networkId` is given, and waits (CLI `--wait`) for the end state.
 */
export async function bootServer(
  name: string,
  options: { image?: string; flavor?: E2eFlavor; networkId?: string; properties?: Record<string, string>; userData?: string; expectError?: boolean } = {},
): Promise<ServerView> {
  const ctx = e2e();
  const nic = options.networkId === undefined ? 'none' : `net-id=${options.networkId}`;
  const args = ['server', 'create', '--image', options.image ?? ctx.imageId, '--flavor', (options.flavor ?? ctx.flavor).id, '--nic', nic];
  for (const [k, v] of Object.entries(options.properties ?? {})) args.push('--property', `${k}=${v}`);
  if (options.userData !== undefined) {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'e2e-user-data-')), 'user-data');
    writeFileSync(file, options.userData);
    args.push('--user-data', file);
  }
  // `--wait` exits 1 when the server ends in ERROR: an expected failure is
  // created without it and polled.
  if (!options.expectError) args.push('--wait');
  args.push(name);
  const created = await openstackJson<ServerView>(args, { timeoutMs: 300_000 });
  if (!options.expectError && created.status === 'ACTIVE' && created['OS-EXT-STS:task_state'] === null) return created;
  return waitForServer(created.id, options.expectError ? 'ERROR' : 'ACTIVE');
}

/**
 * Deletes servers (by id) and waits until Nova no longer knows them; missing
 * ones are fine. Not `server delete --wait`: OSC 6 gives up at once on a
 * server that is in ERROR before the delete starts.
 */
export async function deleteServers(ids: readonly string[], options: OpenstackOptions = {}): Promise<void> {
  const existing: string[] = [];
  for (const id of ids) {
    if (!(await serverGone(id, options))) existing.push(id);
  }
  if (existing.length === 0) return;
  await openstack(['server', 'delete', ...existing], options);
  for (const id of existing) {
    await waitFor(() => serverGone(id, options), { what: `server ${id} deleted`, timeoutMs: 120_000, intervalMs: 200 });
  }
}

/** True once `server show` says there is no such server. */
async function serverGone(id: string, options: OpenstackOptions): Promise<boolean> {
  try {
    await openstack(['server', 'show', id, '-f', 'value', '-c', 'id'], options);
    return false;
  } catch (err) {
    if (/No server with a name or ID/i.test((err as Error).message)) return true;
    throw err;
  }
}

/** The parts of `docker inspect` of a container the tests read. */
export interface ContainerView {
  Id: string;
  Name: string;
  Image: string;
  State: { Status: string; Running: boolean; Paused: boolean; StartedAt: string; ExitCode: number };
  Config: { Hostname: string; Env: string[] | null; Cmd: string[] | null; Labels: Record<string, string> | null };
  HostConfig: { NanoCpus: number; CpuQuota: number; CpuPeriod: number; CpuShares: number; Memory: number };
  Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean }> | null;
}

/** Containers of a Nova instance, found by the label the service puts on them. */
export async function containersOf(instanceUuid: string): Promise<ContainerView[]> {
  const ids = (await run('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=org.openstack.nova.instance-uuid=${instanceUuid}`])).stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) return [];
  return JSON.parse((await run('docker', ['inspect', ...ids])).stdout) as ContainerView[];
}

/** The one container of an instance; fails when there is none or several. */
export async function containerOf(instanceUuid: string): Promise<ContainerView> {
  const all = await containersOf(instanceUuid);
  if (all.length !== 1) {
    throw new Error(`expected one container labelled org.openstack.nova.instance-uuid=${instanceUuid}, found ${all.length}`);
  }
  return all[0]!;
}

/**
 * The Nova power state a Docker container state stands for, as the service
 * reports it: suspended instances are paused containers (plus a marker the
 * service keeps), so a paused container is PAUSED or SUSPENDED.
 */
export function powerStatesFor(state: ContainerView['State']): number[] {
  if (state.Paused) return [POWER_STATE.PAUSED, POWER_STATE.SUSPENDED];
  if (state.Running) return [POWER_STATE.RUNNING];
  if (state.Status === 'exited' || state.Status === 'created') return [POWER_STATE.SHUTDOWN];
  return [];
}

/** Placement allocations of a consumer (an instance), by resource provider uuid. */
export interface AllocationRow {
  resource_provider: string;
  generation: number;
  resources: Record<string, number>;
}

export async function allocationsOf(consumerUuid: string): Promise<AllocationRow[]> {
  return openstackJson<AllocationRow[]>(['resource', 'provider', 'allocation', 'show', consumerUuid], { cloud: 'e2e-placement' });
}

/** The resource provider of the compute node. */
export async function computeProviderUuid(): Promise<string> {
  const host = e2e().computeHost;
  const rps = await openstackJson<Array<{ uuid: string; name: string }>>(['resource', 'provider', 'list', '--name', host], { cloud: 'e2e-placement' });
  const rp = rps.find((r) => r.name === host);
  if (!rp) throw new Error(`placement has no resource provider named ${host}`);
  return rp.uuid;
}

/** One row of `openstack compute service list --long -f json`. */
export interface ServiceRow {
  ID: string;
  Binary: string;
  Host: string;
  Status: string;
  State: string;
  'Disabled Reason': string | null;
  'Forced Down'?: boolean;
}

export async function computeService(): Promise<ServiceRow> {
  const host = e2e().computeHost;
  const rows = await openstackJson<ServiceRow[]>(['compute', 'service', 'list', '--service', 'nova-compute', '--host', host, '--long']);
  const row = rows.find((r) => r.Host === host && r.Binary === 'nova-compute');
  if (!row) throw new Error(`no nova-compute service on host ${host}`);
  return row;
}
