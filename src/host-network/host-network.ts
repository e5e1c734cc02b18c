/**
 * The port to the host's network stack: plugging an instance's Neutron ports
 * into its container. Domain code plans the interfaces
 * ({@link InterfacePlan}, from Nova's network_info) and hands them here; only
 * the adapter runs commands.
 */

/** One route inside the container. */
export interface RoutePlan {
  /** CIDR, "0.0.0.0/0" or "::/0" for a default route. */
  readonly destination: string;
  readonly via: string;
}

/** One Neutron port as a veth pair: the host end on a bridge, the other end in the container. */
export interface InterfacePlan {
  /** Neutron port ID (for logs). */
  readonly portId: string;
  /** Host end: the device name Neutron's agent looks for (tap…). */
  readonly hostDevice: string;
  /** Host end's MAC: the port's with the first octet fe, as libvirt gives taps, so the bridge never takes the guest's. */
  readonly hostMac: string;
  /** Host bridge the host end joins (created when missing, as os-vif does). */
  readonly bridge: string;
  /** Container end: eth0, eth1, … */
  readonly containerDevice: string;
  /** The port's MAC address. */
  readonly mac: string;
  /** null: the kernel default. */
  readonly mtu: number | null;
  /** Addresses with prefix length ("10.0.0.5/24"). */
  readonly addresses: readonly string[];
  readonly routes: readonly RoutePlan[];
}

export interface HostNetwork {
  /**
   * Creates the interfaces in the network namespace of process `pid` (a
   * running container's first process). A host device left from an earlier
   * start is replaced.
   */
  plug(pid: number, interfaces: readonly InterfacePlan[], signal?: AbortSignal): Promise<void>;
  /** True when every one of these host devices exists. */
  present(hostDevices: readonly string[]): Promise<boolean>;
  /** Deletes host devices; missing ones are fine. */
  unplug(hostDevices: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Fails with a clear message when the tools it needs are missing (checked at start-up). */
  check(signal?: AbortSignal): Promise<void>;
}
