/**
 * How images are shown: a JSON record for scripts (`--format json`), an
 * aligned table for `list`, key/value lines for `show`.
 */
import type { GlanceImage } from '../../src/openstack/glance-image.js';

/** The JSON view of an image (stable keys in Glance's own spelling). */
export function imageRecord(image: GlanceImage): Record<string, unknown> {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    container_format: image.containerFormat,
    disk_format: image.diskFormat,
    visibility: image.visibility,
    owner: image.owner,
    size: image.size,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    tags: image.tags,
    created_at: image.createdAt,
    updated_at: image.updatedAt,
    properties: image.properties,
  };
}

/** Aligned columns; every cell is a string. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The `list` table: what an operator needs to pick an image. */
export function listTable(images: readonly GlanceImage[]): string {
  return renderTable(
    ['ID', 'NAME', 'STATUS', 'SIZE', 'DOCKER IMAGE ID', 'REPO TAGS'],
    images.map((i) => [
      i.id,
      i.name ?? '',
      i.status,
      i.size === null ? '' : String(i.size),
      typeof i.properties.docker_image_id === 'string' ? i.properties.docker_image_id.replace(/^sha256:/, '').slice(0, 12) : '',
      typeof i.properties.docker_repo_tags === 'string' ? i.properties.docker_repo_tags : '',
    ]),
  );
}

/** `show`: one "key: value" line per field, properties sorted. */
export function showText(image: GlanceImage): string {
  const rec = imageRecord(image);
  const lines: [string, string][] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'properties') continue;
    lines.push([k, v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  for (const k of Object.keys(image.properties).sort()) {
    const v = image.properties[k];
    lines.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}
