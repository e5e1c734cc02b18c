/**
 * A compute driver on the real dockerd, isolated per test file: its own compute
 * host name (so its labels select only its containers), its own state
 * directory, and a clean-up that removes exactly what it created.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { DockerComputeDriver } from '../../../src/compute/docker-compute-driver.js';
import type { DriverSettings } from '../../../src/compute/driver-settings.js';
import { LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { DockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { Iproute2HostNetwork } from '../../../src/host-network/iproute2-host-network.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { DOCKER_SOCKET, TEST_IMAGE, run, uniqueName } from '../../helpers/services.js';
import { baseSettings } from '../../helpers/driver-settings.js';

export { baseSettings };

export { TEST_IMAGE };

export interface DriverEnv {
  readonly host: string;
  readonly stateDir: string;
  readonly engine: DockerodeEngine;
  readonly driver: DockerComputeDriver;
  readonly settings: DriverSettings;
  /** Raw dockerode, for checks independent of the adapter under test. */
  readonly docker: Docker;
  readonly logs: string[];
  /** A second driver with other settings, sharing host, state dir and engine. */
  withSettings(overrides: Partial<DriverSettings>): DockerComputeDriver;
  cleanup(): Promise<void>;
}


export function createDriverEnv(overrides: Partial<DriverSettings> = {}): DriverEnv {
  const host = uniqueName('ndb-host');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ndb-state-'));
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', format: 'json', write: (l) => void logs.push(l) });
  const engine = new DockerodeEngine({ hostUrl: `unix://${DOCKER_SOCKET}`, apiTimeoutMs: 30_000 }, { logger });
  const settings = { ...baseSettings(host, stateDir), ...overrides };
  // The real adapter: tests with network_mode neutron plug into real bridges on this host.
  const hostNetwork = new Iproute2HostNetwork();
  const driver = new DockerComputeDriver({ engine, settings, logger, hostNetwork });
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  return {
    host,
    stateDir,
    engine,
    driver,
    settings,
    docker,
    logs,
    withSettings: (o) => new DockerComputeDriver({ engine, settings: { ...settings, ...o }, logger, hostNetwork }),
    cleanup: async () => {
      const mine = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${host}`] }) });
      await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A spawn payload as the Nova shim sends it, with a command that keeps running. */
export function spawnPayload(over: { uuid?: string; command?: string | null; extra?: Record<string, unknown>; instance?: Record<string, unknown>; flavor?: Record<string, unknown>; image?: Record<string, unknown> } = {}): Record<string, unknown> {
  const uuid = over.uuid ?? randomUUID();
  return {
    instance: {
      uuid,
      name: `instance-${uuid.slice(0, 8)}`,
      hostname: `vm-${uuid.slice(0, 8)}`,
      display_name: 'test vm',
      project_id: 'p1',
      user_id: 'u1',
      flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {}, name: 'm1.tiny', ...(over.flavor ?? {}) },
      metadata: { role: 'worker', 'cluster-name': 'c1' },
      key_data: null,
      user_data: null,
      system_metadata: {},
      ...(over.instance ?? {}),
    },
    image_meta: {
      id: randomUUID(),
      name: TEST_IMAGE,
      container_format: 'docker',
      disk_format: 'raw',
      properties: over.command === null ? {} : { os_command_line: over.command ?? 'sleep 3600' },
      ...(over.image ?? {}),
    },
    injected_files: [],
    admin_password: null,
    allocations: {},
    network_info: [],
    block_device_info: null,
    power_on: true,
    ...(over.extra ?? {}),
  };
}

/** `docker exec <name> <cmd…>` through the CLI (independent of the adapter). */
export async function dockerExec(container: string, cmd: readonly string[]): Promise<string> {
  return (await run('docker', ['exec', container, ...cmd], { timeoutMs: 30_000 })).stdout;
}
