/**
 * Driver settings for tests that build a driver or runtime by hand: every
 * option at a plain test value (the containers of the integration tests run
 * with these).
 */
import type { DriverSettings } from '../../src/compute/driver-settings.js';

export function baseSettings(host: string, stateDir: string): DriverSettings {
  return {
    host,
    cpuLimitMode: 'nano_cpus',
    cpuPeriodUs: 100000,
    cpuSharesPerVcpu: 1024,
    swapFromFlavor: true,
    dhcpDomain: 'novalocal',
    networkMode: 'bridge',
    publishAllPorts: false,
    publishedPorts: [],
    capAdd: [],
    privileged: false,
    allowedFlavorExtraSpecs: [],
    ulimits: [],
    init: true,
    metadataToEnv: true,
    manageHostsFile: true,
    ephemeralMountPoint: '/mnt',
    stateDir,
    maxConcurrentOperations: 10,
    injectKey: true,
    keyInjectionUser: 'root',
    injectPassword: false,
    runUserData: true,
    userDataTimeoutSeconds: 120,
    glanceImageRepository: 'glance-image',
    allowedContainerFormats: ['docker'],
    softRebootTimeoutSeconds: 10,
    consoleLogLines: 1000,
    consoleLogMaxBytes: 102400,
    startWaitMs: 10_000,
    startGraceMs: 0,
    engineIsLocal: true,
  };
}
