/**
 * IMAGE arguments: a Glance ID, or an exact name that must be unique (as
 * `openstack image show` does; Glance names are not unique).
 */
import { BridgeError } from '../../src/errors/bridge-error.js';
import type { GlanceClient } from '../../src/openstack/glance-client.js';
import type { GlanceImage } from '../../src/openstack/glance-image.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findImage(glance: GlanceClient, ref: string, signal?: AbortSignal): Promise<GlanceImage> {
  if (UUID.test(ref)) return glance.getImage(ref, signal);
  const matches: GlanceImage[] = [];
  for await (const img of glance.listImages({ name: ref }, signal)) {
    matches.push(img);
    if (matches.length > 20) break;
  }
  if (matches.length === 0) throw new BridgeError('ERR_IMAGE_NOT_FOUND', `no Glance image is named ${JSON.stringify(ref)} (give an image ID or an exact name)`);
  if (matches.length > 1) {
    throw new BridgeError('ERR_CONFLICT', `${matches.length} Glance images are named ${JSON.stringify(ref)} (${matches.map((m) => m.id).join(', ')}): use the image ID`);
  }
  return matches[0] as GlanceImage;
}
