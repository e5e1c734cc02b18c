/**
 * Labels that mark a container as ours. The service only ever touches
 * containers that carry the managed-by label with its own compute host name, so
 * several services (or other tools) can share one Engine safely.
 */

export const LABEL_INSTANCE_UUID = 'org.openstack.nova.instance-uuid';
export const LABEL_INSTANCE_NAME = 'org.openstack.nova.instance-name';
export const LABEL_FLAVOR_NAME = 'org.openstack.nova.flavor-name';
export const LABEL_FLAVOR_ROOT_GB = 'org.openstack.nova.flavor-root-gb';
export const LABEL_IMAGE_ID = 'org.openstack.glance.image-id';
/** Value: the compute host (`[DEFAULT] host`) that manages the container. */
export const LABEL_MANAGED_BY = 'org.openstack.nova-docker-bridge.host';

/** Label filter selecting every container managed by `host`. */
export function managedFilter(host: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: host };
}

export interface LabelFacts {
  readonly host: string;
  readonly uuid: string;
  readonly instanceName: string | null;
  readonly flavorName: string | null;
  readonly rootGb: number;
  readonly imageId: string | null;
}

export function instanceLabels(f: LabelFacts): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: f.host,
    [LABEL_INSTANCE_UUID]: f.uuid,
    [LABEL_FLAVOR_ROOT_GB]: String(f.rootGb),
  };
  if (f.instanceName !== null) labels[LABEL_INSTANCE_NAME] = f.instanceName;
  if (f.flavorName !== null) labels[LABEL_FLAVOR_NAME] = f.flavorName;
  if (f.imageId !== null) labels[LABEL_IMAGE_ID] = f.imageId;
  return labels;
}

/** True when the labels say: managed by `host`, for instance `uuid` (when given). */
export function isManaged(labels: Readonly<Record<string, string>>, host: string, uuid?: string): boolean {
  return labels[LABEL_MANAGED_BY] === host && (uuid === undefined || labels[LABEL_INSTANCE_UUID] === uuid);
}
