/**
 * What follows every successful start of an instance's container (spawn,
 * power_on, reboot, resume): its Neutron ports are plugged into the new
 * network namespace, then its pending user data runs (which may need them:
 * Heat's wait-condition call, Sahara's key delivery).
 */
import type { ContainerDetails } from '../docker/docker-engine.js';
import { BridgeError } from '../errors/bridge-error.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { startPendingUserData } from './run-user-data.js';

/**
 * Plugs the interfaces recorded at spawn into the running container `c`.
 * Resolves true when it plugged them now; false when the instance has none or
 * its current namespace already has them.
 */
export async function plugInstanceNetwork(rt: InstanceRuntime, uuid: string, c: ContainerDetails, signal?: AbortSignal): Promise<boolean> {
  const interfaces = await rt.state.readNetworkPlan(uuid);
  if (interfaces === null || interfaces.length === 0) return false;
  if (rt.hostNetwork === null) {
    throw new BridgeError('ERR_VIF_PLUG_FAILED', `instance ${uuid} has Neutron ports to plug, but this service cannot change the host's network (the Engine is not on this machine)`, {
      details: { instance_uuid: uuid },
    });
  }
  // Same process (power_on of a paused or running container): its namespace still has them.
  if (c.state.pid > 0 && (await rt.state.pluggedPid(uuid)) === c.state.pid && (await rt.hostNetwork.present(interfaces.map((i) => i.hostDevice)))) return false;
  const started = rt.clock.now();
  await rt.hostNetwork.plug(c.state.pid, interfaces, signal);
  await rt.state.setPluggedPid(uuid, c.state.pid);
  rt.logger.info('network interfaces plugged', {
    instance: uuid,
    interfaces: interfaces.map((i) => `${i.containerDevice} ${i.mac} ${i.addresses.join(' ')} via ${i.hostDevice}@${i.bridge}`),
    ms: Math.round(rt.clock.now() - started),
  });
  return true;
}

export async function afterStart(rt: InstanceRuntime, uuid: string, c: ContainerDetails, signal?: AbortSignal): Promise<void> {
  await plugInstanceNetwork(rt, uuid, c, signal);
  await startPendingUserData(rt, c.id, uuid);
}
