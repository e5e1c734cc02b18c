/**
 * Access to the captured oslo.messaging wire vectors in ../shared/oslo-rpc/vectors
 * (beside the repository root, as in CI). Missing vectors fail the test run with
 * a message that says where they were looked for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const VECTORS_DIR = resolve(REPO_ROOT, '..', 'shared', 'oslo-rpc', 'vectors');

/** One message of a vector file (see ../shared/oslo-rpc/vectors/README.md). */
export interface VectorMessage {
  role: string;
  exchange: string;
  routing_key: string;
  properties: Record<string, unknown>;
  body_raw: string;
  body?: unknown;
  oslo_message?: Record<string, unknown>;
  failure_decoded?: Record<string, unknown>;
  amqplib_delivery?: { fields: Record<string, unknown>; properties: Record<string, unknown> };
  malformed_case?: string;
  python_server_outcome?: string;
}

export interface VectorFile {
  scenario: string;
  file: string;
  description: string;
  client_outcome?: string;
  messages: VectorMessage[];
}

/** Every vectors/*.json, sorted by name; throws a clear error when the directory is missing or empty. */
export function loadVectors(): VectorFile[] {
  if (!existsSync(VECTORS_DIR)) {
    throw new Error(
      `oslo wire vectors not found at ${VECTORS_DIR}: the shared reference directory must sit beside the repository ` +
        `(../shared/oslo-rpc/vectors relative to ${REPO_ROOT})`,
    );
  }
  const files = readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no *.json vectors in ${VECTORS_DIR}`);
  return files.map((file) => {
    const data = JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as Omit<VectorFile, 'file'>;
    return { ...data, file };
  });
}
