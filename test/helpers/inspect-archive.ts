/** Runs bytes through an ArchiveInspector the way the transfers do. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveInspector, type InspectorOptions } from '../../src/image-archive/archive-inspector.js';
import type { ArchiveSummary } from '../../src/image-archive/archive-manifest.js';

/** Streams `data` into an inspector in small uneven chunks, as a network would. */
export async function inspectArchive(data: Buffer, chunk = 700, options: InspectorOptions = {}): Promise<ArchiveSummary> {
  const inspector = new ArchiveInspector(options);
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  await pipeline(Readable.from(parts), inspector);
  return inspector.summary;
}

/** Like {@link inspectArchive}, with the first chunk `first` bytes long and the rest `chunk`. */
export async function inspectArchiveSplit(data: Buffer, first: number, chunk = 4096, options: InspectorOptions = {}): Promise<ArchiveSummary> {
  const inspector = new ArchiveInspector(options);
  const parts: Buffer[] = [data.subarray(0, first)];
  for (let i = first; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  await pipeline(Readable.from(parts), inspector);
  return inspector.summary;
}
