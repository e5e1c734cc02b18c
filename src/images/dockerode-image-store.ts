/**
 * The LocalImageStore adapter over dockerode's transport (docker-modem).
 * Failures go through src/docker/translate-docker-error.ts, the project's one
 * translation of Docker errors (by HTTP status / errno).
 */
import { addAbortSignal, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { BridgeError } from '../errors/bridge-error.js';
import { translateDockerError, type DockerResourceKind } from '../docker/translate-docker-error.js';
import type { LocalImage, LocalImageStore } from './local-image-store.js';

interface ModemRequest {
  path: string;
  method: 'GET' | 'POST' | 'DELETE';
  options?: { _query?: Record<string, unknown> };
  statusCodes: Record<number, true | string>;
  isStream?: boolean;
  file?: Readable;
  abortSignal?: AbortSignal;
}
interface Modem {
  dial(req: ModemRequest, cb: (err: unknown, data: unknown) => void): void;
}

/** Image references we put into URL paths: no "?", "#", "%", spaces or "..". */
const SAFE_REF = /^[A-Za-z0-9][A-Za-z0-9_.\-/:@]*$/;

function ref(reference: string): string {
  if (!SAFE_REF.test(reference) || reference.includes('..') || reference.length > 512) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid image reference: ${JSON.stringify(reference)}`);
  }
  return reference;
}

export class DockerodeImageStore implements LocalImageStore {
  private readonly modem: Modem;

  /** @param socketPath the Engine's Unix socket (Docker's default when omitted) */
  constructor(options: { socketPath?: string; docker?: Docker } = {}) {
    const docker = options.docker ?? new Docker({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
    this.modem = (docker as unknown as { modem: Modem }).modem;
  }

  async saveImage(reference: string, signal?: AbortSignal): Promise<Readable> {
    const r = ref(reference);
    const stream = await this.dial<Readable>(
      { path: `/images/${r}/get`, method: 'GET', statusCodes: { 200: true, 404: 'no such image', 500: 'server error' }, isStream: true },
      `save image ${r}`,
      'image',
      r,
      signal,
    );
    if (signal) addAbortSignal(signal, stream);
    return stream;
  }

  async loadImage(archive: Readable, signal?: AbortSignal): Promise<readonly string[]> {
    // docker-modem pipes the archive into the request, and pipe() does not pass
    // errors on: without this, a failed source would leave dockerd waiting for more bytes.
    const ac = new AbortController();
    const combined = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
    let sourceError: unknown = null;
    const onSourceError = (err: unknown): void => {
      sourceError ??= err;
      ac.abort(err);
    };
    archive.once('error', onSourceError);
    archive.once('close', () => {
      if (!archive.readableEnded) onSourceError(new BridgeError('ERR_ABORTED', 'the image archive stream was closed before its end'));
    });
    try {
      const res = await this.dial<Readable>(
        { path: '/images/load?', method: 'POST', options: { _query: { quiet: true } }, statusCodes: { 200: true, 500: 'server error' }, isStream: true, file: archive },
        'load image',
        'image',
        undefined,
        combined,
      );
      addAbortSignal(combined, res);
      let text = '';
      for await (const chunk of res) text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      const references: string[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        let msg: { stream?: unknown; error?: unknown; errorDetail?: { message?: unknown } };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue;
        }
        if (msg.error !== undefined || msg.errorDetail !== undefined) {
          const detail = typeof msg.error === 'string' ? msg.error : String(msg.errorDetail?.message ?? 'unknown error');
          throw new BridgeError('ERR_DOCKER', `docker load refused the archive: ${detail}`);
        }
        if (typeof msg.stream === 'string') {
          const m = /^Loaded image(?: ID)?: (\S+)/.exec(msg.stream.trim());
          if (m) references.push(m[1] as string);
        }
      }
      if (sourceError !== null) throw sourceError;
      return references;
    } catch (err) {
      if (sourceError instanceof BridgeError) throw sourceError;
      if (sourceError !== null) throw new BridgeError('ERR_INVALID_IMAGE', `load image: reading the archive failed: ${sourceError instanceof Error ? sourceError.message : String(sourceError)}`, { cause: sourceError });
      throw translateDockerError(err, { operation: 'load image', kind: 'image', ...(signal?.aborted ? { aborted: 'cancelled' as const } : {}) });
    } finally {
      archive.off('error', onSourceError);
    }
  }

  async inspectImage(reference: string, signal?: AbortSignal): Promise<LocalImage | null> {
    const r = ref(reference);
    try {
      const json = await this.dial<{ Id?: unknown; RepoTags?: unknown }>(
        { path: `/images/${r}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } },
        `inspect image ${r}`,
        'image',
        r,
        signal,
      );
      if (typeof json.Id !== 'string') throw new BridgeError('ERR_DOCKER', `inspect image ${r}: the Engine's answer has no Id`);
      const tags = Array.isArray(json.RepoTags) ? json.RepoTags.filter((t): t is string => typeof t === 'string') : [];
      return { id: json.Id, repoTags: tags };
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'ERR_IMAGE_NOT_FOUND') return null;
      throw err;
    }
  }

  async tagImage(reference: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    const r = ref(reference);
    ref(repo);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid image tag: ${JSON.stringify(tag)}`);
    await this.dial(
      { path: `/images/${r}/tag?`, method: 'POST', options: { _query: { repo, tag } }, statusCodes: { 200: true, 201: true, 400: 'bad parameter', 404: 'no such image', 409: 'conflict', 500: 'server error' } },
      `tag image ${r} as ${repo}:${tag}`,
      'image',
      r,
      signal,
    );
  }

  async removeImage(reference: string, options: { force: boolean }, signal?: AbortSignal): Promise<boolean> {
    const r = ref(reference);
    try {
      await this.dial(
        { path: `/images/${r}?`, method: 'DELETE', options: { _query: { force: options.force, noprune: false } }, statusCodes: { 200: true, 404: 'no such image', 409: 'conflict', 500: 'server error' } },
        `remove image ${r}`,
        'image',
        r,
        signal,
      );
      return true;
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'ERR_IMAGE_NOT_FOUND') return false;
      throw err;
    }
  }

  private async dial<T>(req: ModemRequest, operation: string, kind: DockerResourceKind, target: string | undefined, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await new Promise<T>((resolve, reject) => {
        this.modem.dial({ ...req, ...(signal ? { abortSignal: signal } : {}) }, (err, data) => (err ? reject(err) : resolve(data as T)));
      });
    } catch (err) {
      throw translateDockerError(err, { operation, kind, ...(target === undefined ? {} : { target }), ...(signal?.aborted ? { aborted: 'cancelled' as const } : {}) });
    }
  }
}
