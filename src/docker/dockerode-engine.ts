/**
 * The DockerEngine adapter over dockerode's transport (docker-modem).
 *
 * Requests are described here explicitly (path, query, body, accepted status
 * codes) rather than through dockerode's per-method wrappers, because those put
 * every create option into the query string, parse log text as JSON when it
 * happens to look like JSON, and cannot treat 304 as success. Every failure
 * goes through translateDockerError.
 */
import { readFileSync } from 'node:fs';
import { addAbortSignal, PassThrough, type Readable } from 'node:stream';
import type { Socket } from 'node:net';
import Docker from 'dockerode';
import { BridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { abortedByTimeout, withDeadline } from '../util/abort.js';
import { systemClock, type Clock } from '../util/clock.js';
import { STREAM_CHUNK_BYTES } from '../stream/byte-tap.js';
import { readSingleFile } from '../util/tar-archive.js';
import { negotiateApiVersion } from './api-version.js';
import { resourceFields, toCreateBody } from './create-body.js';
import type {
  CommitOptions,
  ContainerCreateSpec,
  ContainerDetails,
  ContainerSummary,
  DockerEngine,
  EngineInfo,
  EngineVersion,
  ExecOptions,
  ExecResult,
  ImageDetails,
  ImageSummary,
  LoadedImages,
  LogTailOptions,
  ResourceLimits,
} from './docker-engine.js';
import { parseDockerHostUrl, type DockerEndpoint } from './docker-host-url.js';
import { parseContainer, parseContainerSummary, parseImage, parseImageSummary, parseInfo, parseVersion } from './parse-engine-json.js';
import { FrameDecoder, HeadBuffer, TailBuffer } from './stream-frames.js';
import { translateDockerError, type DockerResourceKind } from './translate-docker-error.js';
import { releaseStream } from '../stream/destroy-on-reject.js';

/** How to reach the Engine: `[docker]` options. */
export interface DockerConnectionOptions {
  /** unix:///var/run/docker.sock, tcp://host:2376, https://host:2376 … */
  readonly hostUrl: string;
  /** PEM files for TLS to a remote Engine (client certificate auth, as `docker --tlsverify`). */
  readonly caFile?: string | null;
  readonly certFile?: string | null;
  readonly keyFile?: string | null;
  /** Deadline of one ordinary API call, milliseconds. Calls that wait on purpose (stop) get theirs on top. */
  readonly apiTimeoutMs: number;
}

/** Minimal view of docker-modem's dial(), which dockerode's types leave as `any`. */
interface ModemRequest {
  path: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  options?: { _query?: Record<string, unknown>; _body?: unknown };
  statusCodes: Record<number, true | string>;
  isStream?: boolean;
  hijack?: boolean;
  openStdin?: boolean;
  file?: Buffer | Readable;
  abortSignal?: AbortSignal;
}
interface Modem {
  version?: string;
  dial(req: ModemRequest, cb: (err: unknown, data: unknown) => void): void;
}

/** One call: what to send and how to treat the answer. */
interface Call {
  readonly operation: string;
  readonly kind: DockerResourceKind;
  readonly target?: string;
  readonly method: ModemRequest['method'];
  readonly path: string;
  readonly query?: Record<string, unknown>;
  readonly body?: unknown;
  /** Extra success statuses (beyond 200/201/204). 304 here = "already done" is success. */
  readonly alsoOk?: readonly number[];
  readonly stream?: boolean;
  readonly hijack?: boolean;
  readonly file?: Buffer | Readable;
  /** Milliseconds added to the API timeout (e.g. the stop grace period). */
  readonly extraTimeMs?: number;
}

/** Extra deadline of calls that move whole images (load, save, commit): they take as long as the image is big. */
const LONG_TRANSFER_MS = 24 * 3_600_000;

/** Container names/IDs and image references we put in URL paths: no "?", "#", "%", spaces or "..". */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const SAFE_REF = /^[A-Za-z0-9][A-Za-z0-9_.\-/:@]*$/;

function checkId(id: string): string {
  if (!SAFE_ID.test(id) || id.length > 256) throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid container or exec ID/name: ${JSON.stringify(id)}`);
  return id;
}
function checkRef(ref: string): string {
  if (!SAFE_REF.test(ref) || ref.includes('..') || ref.length > 512) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid image reference: ${JSON.stringify(ref)}`);
  }
  return ref;
}

function labelFilter(labels: Readonly<Record<string, string | null>>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === null ? k : `${k}=${v}`));
}

function readPem(path: string | null | undefined, what: string): Buffer | undefined {
  if (path === null || path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BridgeError('ERR_CONFIG_INVALID', `[docker] ${what} = ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
}

/** dockerode constructor options for an endpoint (exported for tests). */
export function dockerodeOptions(endpoint: DockerEndpoint, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Docker.DockerOptions {
  if (endpoint.kind === 'unix') return { socketPath: endpoint.socketPath };
  const base: Docker.DockerOptions = { host: endpoint.host, port: endpoint.port, protocol: endpoint.tls ? 'https' : 'http' };
  if (!endpoint.tls) return base;
  return { ...base, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) };
}

export class DockerodeEngine implements DockerEngine {
  private readonly modem: Modem;
  private readonly apiTimeoutMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private connecting: Promise<EngineVersion> | null = null;
  /** The endpoint in words, for messages ("unix:///var/run/docker.sock"). */
  readonly describe: string;

  constructor(options: DockerConnectionOptions, deps: { logger?: Logger; clock?: Clock } = {}) {
    const tlsGiven = Boolean(options.caFile || options.certFile || options.keyFile);
    let endpoint: DockerEndpoint;
    try {
      endpoint = parseDockerHostUrl(options.hostUrl, tlsGiven);
    } catch (err) {
      throw new BridgeError('ERR_CONFIG_INVALID', `[docker] host_url: ${(err as Error).message}`, { cause: err });
    }
    if (endpoint.kind === 'tcp' && (options.certFile ? 1 : 0) + (options.keyFile ? 1 : 0) === 1) {
      throw new BridgeError('ERR_CONFIG_INVALID', '[docker] cert_file and key_file must be given together');
    }
    const tls = {
      ca: readPem(options.caFile, 'ca_file'),
      cert: readPem(options.certFile, 'cert_file'),
      key: readPem(options.keyFile, 'key_file'),
    };
    const docker = new Docker(dockerodeOptions(endpoint, tls));
    this.modem = docker.modem as unknown as Modem;
    this.apiTimeoutMs = options.apiTimeoutMs;
    this.logger = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.describe = endpoint.kind === 'unix' ? `unix://${endpoint.socketPath}` : `${endpoint.tls ? 'https' : 'http'}://${endpoint.host}:${endpoint.port}`;
    if (endpoint.kind === 'tcp' && !endpoint.tls) {
      this.logger.warning('Docker Engine reached over plain TCP: anyone on the network can control it; configure ca_file/cert_file/key_file', { docker: this.describe });
    }
  }

  // ---- transport -----------------------------------------------------------

  private async call<T = unknown>(c: Call, signal: AbortSignal | undefined, connected = true): Promise<T> {
    if (connected) await this.connect(signal);
    const deadline = withDeadline(signal, this.apiTimeoutMs + (c.extraTimeMs ?? 0));
    const statusCodes: Record<number, true> = { 200: true, 201: true, 204: true };
    for (const s of c.alsoOk ?? []) statusCodes[s] = true;
    const req: ModemRequest = {
      path: c.query !== undefined || c.method === 'POST' ? `${c.path}?` : c.path,
      method: c.method,
      options: { _query: c.query ?? {}, _body: c.body ?? {} },
      statusCodes,
      abortSignal: deadline,
      ...(c.stream || c.hijack ? { isStream: true } : {}),
      ...(c.hijack ? { hijack: true, openStdin: true } : {}),
      ...(c.file ? { file: c.file } : {}),
    };
    try {
      const data = await new Promise<unknown>((resolve, reject) => {
        this.modem.dial(req, (err, out) => (err ? reject(err) : resolve(out)));
      });
      if (c.stream && !c.hijack && data && typeof (data as Readable).pipe === 'function') {
        // docker-modem stops watching the signal once a streamed response starts.
        addAbortSignal(deadline, data as Readable);
      }
      return data as T;
    } catch (err) {
      throw this.translate(err, c, signal, deadline);
    }
  }

  private translate(err: unknown, c: Call, signal: AbortSignal | undefined, deadline: AbortSignal): BridgeError {
    // The caller's own signal may carry a deadline too (AbortSignal.timeout): that is a timeout, not a cancellation.
    const aborted = signal?.aborted ? (abortedByTimeout(signal) ? 'timeout' : 'cancelled') : deadline.aborted ? 'timeout' : undefined;
    return translateDockerError(err, {
      operation: c.operation,
      kind: c.kind,
      ...(c.target === undefined ? {} : { target: c.target }),
      ...(aborted ? { aborted } : {}),
    });
  }

  /** Reads a streamed response to its end through `sink`, translating stream errors. */
  private async drain(c: Call, stream: Readable, sink: (chunk: Buffer) => void, signal: AbortSignal | undefined): Promise<void> {
    try {
      for await (const chunk of stream) sink(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    } catch (err) {
      throw translateDockerError(err, {
        operation: c.operation,
        kind: c.kind,
        ...(c.target === undefined ? {} : { target: c.target }),
        ...(signal?.aborted
          ? { aborted: abortedByTimeout(signal) ? ('timeout' as const) : ('cancelled' as const) }
          : (err as Error)?.name === 'AbortError'
            ? { aborted: 'timeout' as const }
            : {}),
      });
    }
  }

  // ---- engine --------------------------------------------------------------

  connect(signal?: AbortSignal): Promise<EngineVersion> {
    if (!this.connecting) {
      const attempt = this.negotiate(signal);
      this.connecting = attempt;
      // A failed attempt (Engine down, too old) is retried by the next call.
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async negotiate(signal: AbortSignal | undefined): Promise<EngineVersion> {
    // Unversioned: the Engine answers /version in every API version.
    const raw = await this.call({ operation: 'read Docker Engine version', kind: 'engine', method: 'GET', path: '/version' }, signal, false);
    const version = parseVersion(raw);
    const choice = negotiateApiVersion(version.apiVersion, version.minApiVersion);
    if (!choice.ok) {
      throw new BridgeError('ERR_DOCKER', `${choice.reason} (Engine ${version.version} at ${this.describe})`, {
        details: { engine_version: version.version, api_version: version.apiVersion },
      });
    }
    this.modem.version = `v${choice.version}`;
    this.logger.info('connected to Docker Engine', { docker: this.describe, engine_version: version.version, engine_api: version.apiVersion, using_api: choice.version });
    return version;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.call({ operation: 'ping Docker Engine', kind: 'engine', method: 'GET', path: '/_ping' }, signal, false);
  }

  async version(signal?: AbortSignal): Promise<EngineVersion> {
    return parseVersion(await this.call({ operation: 'read Docker Engine version', kind: 'engine', method: 'GET', path: '/version' }, signal));
  }

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    return parseInfo(await this.call({ operation: 'read Docker Engine info', kind: 'engine', method: 'GET', path: '/info' }, signal));
  }

  // ---- containers ----------------------------------------------------------

  async createContainer(spec: ContainerCreateSpec, signal?: AbortSignal): Promise<string> {
    checkId(spec.name);
    const out = await this.call<{ Id?: unknown; Warnings?: unknown }>(
      {
        operation: `create container ${spec.name}`,
        // The only 404 of create is "no such image".
        kind: 'image',
        target: spec.name,
        method: 'POST',
        path: '/containers/create',
        query: { name: spec.name },
        body: toCreateBody(spec),
      },
      signal,
    );
    if (typeof out?.Id !== 'string') throw new BridgeError('ERR_DOCKER', `create container ${spec.name}: the Engine returned no container ID`);
    if (Array.isArray(out.Warnings) && out.Warnings.length > 0) {
      this.logger.warning('Docker Engine warnings on create', { container: spec.name, warnings: out.Warnings });
    }
    return out.Id;
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ operation: `start container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/start`, alsoOk: [304] }, signal);
  }

  async stopContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    const t = Math.max(0, Math.floor(timeoutSeconds));
    await this.call(
      { operation: `stop container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/stop`, query: { t }, alsoOk: [304], extraTimeMs: t * 1000 },
      signal,
    );
  }

  async restartContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    const t = Math.max(0, Math.floor(timeoutSeconds));
    await this.call(
      { operation: `restart container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/restart`, query: { t }, extraTimeMs: t * 1000 },
      signal,
    );
  }

  async killContainer(id: string, signalName = 'SIGKILL', signal?: AbortSignal): Promise<void> {
    if (!/^(SIG)?[A-Z0-9+-]+$/.test(signalName)) throw new BridgeError('ERR_INVALID_ARGUMENT', `not a signal name: ${JSON.stringify(signalName)}`);
    await this.call({ operation: `kill container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/kill`, query: { signal: signalName } }, signal);
  }

  async waitContainerExit(id: string, signal?: AbortSignal): Promise<number> {
    const out = await this.call<{ StatusCode?: unknown }>(
      {
        operation: `wait for container ${id} to stop`,
        kind: 'container',
        target: id,
        method: 'POST',
        path: `/containers/${checkId(id)}/wait`,
        query: { condition: 'not-running' },
        // A long poll by design: the caller's signal bounds it.
        extraTimeMs: 7 * 24 * 3_600_000,
      },
      signal,
    );
    return typeof out?.StatusCode === 'number' ? out.StatusCode : -1;
  }

  async removeContainer(id: string, options: { force: boolean }, signal?: AbortSignal): Promise<void> {
    await this.call(
      {
        operation: `remove container ${id}`,
        kind: 'container',
        target: id,
        method: 'DELETE',
        path: `/containers/${checkId(id)}`,
        query: { force: options.force, v: true },
      },
      signal,
    );
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    return parseContainer(await this.call({ operation: `inspect container ${id}`, kind: 'container', target: id, method: 'GET', path: `/containers/${checkId(id)}/json` }, signal));
  }

  async listContainers(labels: Readonly<Record<string, string | null>>, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const out = await this.call<unknown>(
      { operation: 'list containers', kind: 'engine', method: 'GET', path: '/containers/json', query: { all: true, filters: JSON.stringify({ label: labelFilter(labels) }) } },
      signal,
    );
    return Array.isArray(out) ? out.map(parseContainerSummary) : [];
  }

  async pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ operation: `pause container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/pause` }, signal);
  }

  async unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ operation: `unpause container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/unpause` }, signal);
  }

  async updateContainer(id: string, resources: ResourceLimits, signal?: AbortSignal): Promise<void> {
    const out = await this.call<{ Warnings?: unknown }>(
      { operation: `update container ${id}`, kind: 'container', target: id, method: 'POST', path: `/containers/${checkId(id)}/update`, body: resourceFields(resources) },
      signal,
    );
    if (Array.isArray(out?.Warnings) && out.Warnings.length > 0) this.logger.warning('Docker Engine warnings on update', { container: id, warnings: out.Warnings });
  }

  async containerLogs(id: string, options: LogTailOptions, signal?: AbortSignal): Promise<Buffer> {
    const c: Call = {
      operation: `read logs of container ${id}`,
      kind: 'container',
      target: id,
      method: 'GET',
      path: `/containers/${checkId(id)}/logs`,
      query: { stdout: true, stderr: true, follow: false, tail: String(Math.max(0, Math.floor(options.tailLines))) },
      stream: true,
    };
    const stream = await this.call<Readable>(c, signal);
    const tail = new TailBuffer(options.maxBytes);
    const decoder = new FrameDecoder((p) => tail.append(p));
    await this.drain(c, stream, (chunk) => decoder.push(chunk), signal);
    return tail.toBuffer();
  }

  async putArchive(id: string, path: string, tar: Buffer | Readable, signal?: AbortSignal): Promise<void> {
    await this.call(
      { operation: `copy files into container ${id}`, kind: 'container', target: id, method: 'PUT', path: `/containers/${checkId(id)}/archive`, query: { path }, file: tar },
      signal,
    );
  }

  async readFile(id: string, path: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | null> {
    const c: Call = { operation: `read ${path} from container ${id}`, kind: 'container', target: id, method: 'GET', path: `/containers/${checkId(id)}/archive`, query: { path }, stream: true };
    let stream: Readable;
    try {
      stream = await this.call<Readable>(c, signal);
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'ERR_INSTANCE_NOT_FOUND') {
        // 404 means "no such container" or "no such path": the container answers which.
        await this.inspectContainer(id, signal);
        return null;
      }
      throw err;
    }
    try {
      const file = await readSingleFile(stream, maxBytes);
      return file === null ? null : file.content;
    } catch (err) {
      const aborted = signal?.aborted ? { aborted: abortedByTimeout(signal) ? ('timeout' as const) : ('cancelled' as const) } : {};
      throw translateDockerError(err, { operation: c.operation, kind: 'container', target: id, ...aborted });
    }
  }

  async execRun(id: string, options: ExecOptions, signal?: AbortSignal): Promise<ExecResult> {
    const withStdin = options.stdin !== undefined;
    const created = await this.call<{ Id?: unknown }>(
      {
        operation: `create exec in container ${id}`,
        kind: 'container',
        target: id,
        method: 'POST',
        path: `/containers/${checkId(id)}/exec`,
        body: {
          Cmd: [...options.cmd],
          AttachStdin: withStdin,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          ...(options.user ? { User: options.user } : {}),
        },
      },
      signal,
    );
    if (typeof created?.Id !== 'string') throw new BridgeError('ERR_DOCKER', `create exec in container ${id}: the Engine returned no exec ID`);
    const execId = created.Id;
    const startCall: Call = {
      operation: `run exec ${options.cmd[0] ?? ''} in container ${id}`,
      kind: 'exec',
      target: execId,
      method: 'POST',
      path: `/exec/${checkId(execId)}/start`,
      body: { Detach: false, Tty: false },
      hijack: true,
    };
    const socket = await this.call<Socket>(startCall, signal);
    const output = new HeadBuffer(options.maxOutputBytes ?? 64 * 1024);
    const decoder = new FrameDecoder((p) => output.append(p));
    const deadline = withDeadline(signal, options.timeoutMs ?? this.apiTimeoutMs);
    const onAbort = (): void => {
      socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    deadline.addEventListener('abort', onAbort, { once: true });
    try {
      const ended = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => decoder.push(chunk));
        socket.on('end', resolve);
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      // Close our side after stdin so the command sees EOF (docker exec -i does the same).
      if (withStdin) socket.end(options.stdin);
      else socket.end();
      await ended;
    } catch (err) {
      throw this.translate(err, startCall, signal, deadline);
    } finally {
      deadline.removeEventListener('abort', onAbort);
      socket.destroy();
    }
    // The stream ends as the process exits; the exit code can lag a moment behind.
    for (let i = 0; ; i += 1) {
      const info = await this.call<{ Running?: unknown; ExitCode?: unknown }>(
        { operation: `inspect exec in container ${id}`, kind: 'exec', target: execId, method: 'GET', path: `/exec/${checkId(execId)}/json` },
        signal,
      );
      if (info?.Running !== true || i >= 100) {
        return { exitCode: typeof info?.ExitCode === 'number' && info.Running !== true ? info.ExitCode : null, output: output.toBuffer() };
      }
      await this.clock.sleep(Math.min(50, 2 ** i), signal);
    }
  }

  // ---- images --------------------------------------------------------------

  async inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails> {
    return parseImage(await this.call({ operation: `inspect image ${reference}`, kind: 'image', target: reference, method: 'GET', path: `/images/${checkRef(reference)}/json` }, signal));
  }

  async listImages(filter: { reference?: string; labels?: Readonly<Record<string, string | null>> }, signal?: AbortSignal): Promise<ImageSummary[]> {
    const filters: Record<string, string[]> = {};
    if (filter.reference !== undefined) filters.reference = [filter.reference];
    if (filter.labels !== undefined) filters.label = labelFilter(filter.labels);
    const out = await this.call<unknown>({ operation: 'list images', kind: 'engine', method: 'GET', path: '/images/json', query: { filters: JSON.stringify(filters) } }, signal);
    return Array.isArray(out) ? out.map(parseImageSummary) : [];
  }

  async tagImage(reference: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    checkRef(repo);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid image tag: ${JSON.stringify(tag)}`);
    await this.call({ operation: `tag image ${reference} as ${repo}:${tag}`, kind: 'image', target: reference, method: 'POST', path: `/images/${checkRef(reference)}/tag`, query: { repo, tag } }, signal);
  }

  async loadImage(tar: Readable, signal?: AbortSignal): Promise<LoadedImages> {
    // docker-modem pipes the archive into the request, and pipe() does not end the
    // request when the source is destroyed without an error: dockerd would wait
    // for more bytes forever. Any end of the source other than its end aborts.
    const source = new AbortController();
    const combined = signal ? AbortSignal.any([signal, source.signal]) : source.signal;
    let sourceError: unknown = null;
    const onSourceError = (err: unknown): void => {
      sourceError ??= err;
      source.abort(err);
    };
    const onSourceClose = (): void => {
      if (!tar.readableEnded) onSourceError(new BridgeError('ERR_ABORTED', 'the image archive stream was closed before its end'));
    };
    tar.once('error', onSourceError);
    tar.once('close', onSourceClose);
    const c: Call = { operation: 'load image', kind: 'image', method: 'POST', path: '/images/load', query: { quiet: true }, file: tar, stream: true, extraTimeMs: LONG_TRANSFER_MS };
    try {
      const stream = await this.call<Readable>(c, combined);
      let text = '';
      await this.drain(c, stream, (chunk) => {
        text += chunk.toString('utf8');
      }, combined);
      if (sourceError !== null) throw sourceError;
      return { references: parseLoadOutput(text) };
    } catch (err) {
      // Whoever feeds the archive waits for it to be read; a load that failed before (or while) reading must release it.
      tar.off('error', onSourceError);
      tar.off('close', onSourceClose);
      releaseStream(tar, err);
      if (sourceError !== null) {
        if (sourceError instanceof BridgeError) throw sourceError;
        throw new BridgeError('ERR_INVALID_IMAGE', `load image: reading the archive failed: ${sourceError instanceof Error ? sourceError.message : String(sourceError)}`, { cause: sourceError });
      }
      throw err;
    } finally {
      tar.off('error', onSourceError);
      tar.off('close', onSourceClose);
    }
  }

  async saveImage(reference: string, signal?: AbortSignal): Promise<Readable> {
    const c: Call = { operation: `save image ${reference}`, kind: 'image', target: reference, method: 'GET', path: `/images/${checkRef(reference)}/get`, stream: true, extraTimeMs: LONG_TRANSFER_MS };
    const res = await this.call<Readable>(c, signal);
    return this.translatedStream(c, res, signal);
  }

  async removeImage(reference: string, options: { force: boolean }, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call(
        { operation: `remove image ${reference}`, kind: 'image', target: reference, method: 'DELETE', path: `/images/${checkRef(reference)}`, query: { force: options.force, noprune: false } },
        signal,
      );
      return true;
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'ERR_IMAGE_NOT_FOUND') return false;
      throw err;
    }
  }

  async commitContainer(id: string, options: CommitOptions, signal?: AbortSignal): Promise<string> {
    const out = await this.call<{ Id?: unknown }>(
      {
        operation: `commit container ${id}`,
        kind: 'container',
        target: id,
        method: 'POST',
        path: '/commit',
        query: { container: checkId(id), pause: options.pause, ...(options.comment === undefined ? {} : { comment: options.comment }) },
        // The body is a container config merged over the container's own: only Labels is set.
        body: { Labels: { ...options.labels } },
        // Writing the container's changes as a layer takes as long as they are big.
        extraTimeMs: LONG_TRANSFER_MS,
      },
      signal,
    );
    if (typeof out?.Id !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(out.Id)) throw new BridgeError('ERR_DOCKER', `commit container ${id}: the Engine returned no image ID`);
    return out.Id;
  }

  /**
   * The response stream of `c` with its failures as BridgeErrors (the port's
   * promise): the consumer of a `docker save` sees "Engine unreachable" or
   * "timeout", not a bare socket error.
   */
  private translatedStream(c: Call, res: Readable, signal: AbortSignal | undefined): Readable {
    const out = new PassThrough({ highWaterMark: STREAM_CHUNK_BYTES });
    res.once('error', (err: Error) => {
      const aborted = signal?.aborted ? (abortedByTimeout(signal) ? ('timeout' as const) : ('cancelled' as const)) : err.name === 'AbortError' ? ('timeout' as const) : undefined;
      out.destroy(translateDockerError(err, { operation: c.operation, kind: c.kind, ...(c.target === undefined ? {} : { target: c.target }), ...(aborted ? { aborted } : {}) }));
    });
    // A consumer that gives up (destroys `out`) ends the Engine's transfer too.
    out.once('close', () => {
      if (!res.readableEnded) res.destroy();
    });
    res.pipe(out);
    return out;
  }
}

/**
 * The references `docker load` reported. Its output is one JSON message per
 * line; an in-band error (the HTTP status is already 200) fails the load.
 */
export function parseLoadOutput(text: string): string[] {
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
      throw new BridgeError('ERR_DOCKER', `load image: the Docker Engine refused the archive: ${detail}`);
    }
    if (typeof msg.stream === 'string') {
      // "Loaded image: repo:tag" / "Loaded image ID: sha256:…": the value after the colon-space is stable API output.
      const m = /^Loaded image(?: ID)?: (\S+)/.exec(msg.stream.trim());
      if (m) references.push(m[1] as string);
    }
  }
  return references;
}
