/**
 * Which local Docker image an instance boots, in order of trust:
 *
 * 1. `<glance_image_repository>:<image_meta.id>`: the tag the Glance download
 *    gives an image; unambiguous.
 * 2. The Docker image ID recorded in Glance (`docker_image_id` property, which
 *    Nova keeps as `system_metadata.image_docker_image_id`): content-addressed.
 * 3. `image_meta.name` as a Docker reference, as nova-docker did. Glance names
 *    are tenant-chosen, so this is the last resort.
 *
 * 2 and 3 are chosen by the image's owner; where Glance can supply the image,
 * spawn uses them only with `[compute] local_image_lookup = any` (see
 * resolveImage in spawn-instance.ts).
 */

export interface ImageCandidate {
  readonly reference: string;
  readonly source: 'glance-id-tag' | 'recorded-image-id' | 'image-name';
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Docker reference grammar, loosely: [registry/]path[:tag][@digest], lowercase path. */
const REFERENCE = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

export function imageCandidates(
  image: { readonly id: string | null; readonly name: string | null; readonly properties: Readonly<Record<string, unknown>> },
  systemMetadata: Readonly<Record<string, string | null>>,
  glanceRepository: string,
): ImageCandidate[] {
  const out: ImageCandidate[] = [];
  const add = (reference: string, source: ImageCandidate['source']): void => {
    if (!out.some((c) => c.reference === reference)) out.push({ reference, source });
  };
  if (image.id !== null && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(image.id)) add(`${glanceRepository}:${image.id}`, 'glance-id-tag');
  const recorded = typeof image.properties.docker_image_id === 'string' ? image.properties.docker_image_id : systemMetadata.image_docker_image_id;
  if (typeof recorded === 'string' && DIGEST.test(recorded.trim())) add(recorded.trim(), 'recorded-image-id');
  if (image.name !== null && REFERENCE.test(image.name) && !image.name.includes('..')) add(image.name, 'image-name');
  return out;
}
