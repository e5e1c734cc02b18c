/**
 * Labels that mark a container as ours. The service only ever touches
 * containers that carry the managed-by label with its own compute host name, so
 * several services (or other tools) can share one Engine safely.
 */

export const LABEL_INSTANCE_UUID = 'org.openstack.nova.instance-uuid';
export const LABEL_INSTANCE_NAME = 'org.openstack.nova.instance-name';
export const LABEL_FLAVOR_NAME = 'org.openstack.nova.flavor-name';
export const LABEL_FLAVOR_ROOT_GB = 'org.openstack.nova.flavor-root-gb';
export const LABEL_FLAVOR_EPHEMERAL_GB = 'org.openstack.nova.flavor-ephemeral-gb';
export const LABEL_IMAGE_ID = 'org.openstack.glance.image-id';
/** Value: the compute host (`[DEFAULT] host`) that manages the container. */
export const LABEL_MANAGED_BY = 'org.openstack.nova-docker-bridge.host';
/**
 * On the temporary image a snapshot commits (value: the Glance image ID it
 * fills). With the managed-by label the container lends it, start-up
 * reconciliation finds what a crash mid-snapshot left.
 */
export const LABEL_SNAPSHOT_IMAGE = 'org.openstack.nova-docker-bridge.snapshot-image';

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
  readonly ephemeralGb: number;
  readonly imageId: string | null;
}

/**
 * The container's labels. Unknown optional facts are set empty rather than
 * left out: an image committed from another instance (a snapshot) carries
 * that instance's labels, and Docker merges image labels under the
 * container's, so an omitted key would show the other instance's value.
 * Readers treat "" as unknown.
 */
export function instanceLabels(f: LabelFacts): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: f.host,
    [LABEL_INSTANCE_UUID]: f.uuid,
    [LABEL_FLAVOR_ROOT_GB]: String(f.rootGb),
    [LABEL_FLAVOR_EPHEMERAL_GB]: String(f.ephemeralGb),
    [LABEL_INSTANCE_NAME]: f.instanceName ?? '',
    [LABEL_FLAVOR_NAME]: f.flavorName ?? '',
    [LABEL_IMAGE_ID]: f.imageId ?? '',
    // Never inherited from a snapshot's image: it marks only the temporary committed image.
    [LABEL_SNAPSHOT_IMAGE]: '',
  };
}

/** True when the labels say: managed by `host`, for instance `uuid` (when given). */
export function isManaged(labels: Readonly<Record<string, string>>, host: string, uuid?: string): boolean {
  return labels[LABEL_MANAGED_BY] === host && (uuid === undefined || labels[LABEL_INSTANCE_UUID] === uuid);
}
