/**
 * Container names derived from the instance UUID. Docker refuses a second
 * container with the same name (409), which makes a duplicated or retried spawn
 * converge on the existing container instead of creating another.
 */

export const CONTAINER_NAME_PREFIX = 'nova-';

export function containerName(uuid: string): string {
  return `${CONTAINER_NAME_PREFIX}${uuid.toLowerCase()}`;
}
