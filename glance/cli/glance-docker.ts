/**
 * glance-docker: the admin helper that moves Docker images into Glance and
 * checks them there. `main` returns the exit code; bin/glance-docker.js runs it.
 */
import { createReadStream, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { dockerConnectionFromEnv } from '../../src/docker/docker-connection-from-env.js';
import { BridgeError, toBridgeError } from '../../src/errors/bridge-error.js';
import { uploadArchive, type ArchiveSource } from '../../src/images/upload-archive.js';
import { AxiosHttpClient } from '../../src/openstack/axios-http-client.js';
import type { GlanceClient } from '../../src/openstack/glance-client.js';
import type { GlanceImage } from '../../src/openstack/glance-image.js';
import { credentialsFromSources, openImageService } from '../../src/openstack/image-service.js';
import { STREAM_CHUNK_BYTES } from '../../src/stream/byte-tap.js';
import { verifyImage } from '../verify/verify-image.js';
import { findImage } from './find-image.js';
import { imageRecord, listTable, showText } from './format-output.js';
import { parseCli, USAGE, UsageError, type CliArgs } from './parse-args.js';
import { formatBytes, ProgressReporter } from './progress.js';

/** The process's streams and environment (replaceable in tests). */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Exit codes. */
const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    io.stderr.write(`glance-docker: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }

  const ac = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true;
    io.stderr.write(`\nglance-docker: ${sig}: stopping and cleaning up\n`);
    ac.abort(new BridgeError('ERR_ABORTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(args, io, ac.signal);
  } catch (err) {
    const e = toBridgeError(err);
    const msg = interrupted && e.code !== 'ERR_ABORTED' ? `interrupted: ${e.message}` : e.message;
    io.stderr.write(`glance-docker: error: ${msg}\n`);
    if (args.format === 'json') io.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
    if (e instanceof UsageError) return EXIT.usage;
    return interrupted ? EXIT.interrupted : EXIT.failure;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function run(args: CliArgs, io: CliIo, signal: AbortSignal): Promise<number> {
  // Read the source first: a missing file or Docker image must fail before anything exists in Glance.
  const source = args.command === 'import' ? await openSource(args, io, signal) : null;
  try {
    const http = new AxiosHttpClient({ userAgent: 'glance-docker (nova-docker-bridge)' });
    const creds = credentialsFromSources({ flags: args.credentials, ...(args.cloud === null ? {} : { cloud: args.cloud }), env: io.env, cwd: io.cwd });
    const glance = await openImageService(creds, { http, stallTimeoutMs: args.stallTimeoutS * 1000, signal });
    switch (args.command) {
      case 'import':
        return await runImport(args, io, glance, source as ArchiveSource, signal);
      case 'list':
        return await runList(args, io, glance, signal);
      case 'show':
        return await runShow(args, io, glance, signal);
      case 'verify':
        return await runVerify(args, io, glance, signal);
      default:
        return EXIT.usage;
    }
  } finally {
    if (source !== null && !source.stream.destroyed) source.stream.destroy();
  }
}

async function openSource(args: CliArgs, io: CliIo, signal: AbortSignal): Promise<ArchiveSource> {
  if (args.fromDocker !== null) {
    // The same adapter the compute service uses: DOCKER_HOST may name a socket or a TCP(+TLS) Engine.
    // Loaded only here: dockerode and its dependencies add ~25 MB to a process that imports a file.
    const { DockerodeEngine } = await import('../../src/docker/dockerode-engine.js');
    const engine = new DockerodeEngine(dockerConnectionFromEnv(io.env, { home: io.env.HOME ?? homedir(), apiTimeoutMs: 60_000 }));
    const stream = await engine.saveImage(args.fromDocker, signal);
    return { stream, length: null, description: `docker image ${args.fromDocker}` };
  }
  const file = args.positionals[0];
  if (file === undefined || file === '-') {
    if (io.stdin.isTTY) throw new UsageError('import: no input; give FILE, pipe the archive into "-", or use --from-docker IMAGE');
    return { stream: io.stdin, length: null, description: 'stdin' };
  }
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`import: ${file} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof BridgeError) throw err;
    throw new BridgeError('ERR_INVALID_ARGUMENT', `import: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return { stream: createReadStream(file, { highWaterMark: STREAM_CHUNK_BYTES }), length: size, description: `file ${basename(file)}`, file };
}

async function runImport(args: CliArgs, io: CliIo, glance: GlanceClient, source: ArchiveSource, signal: AbortSignal): Promise<number> {
  const properties = args.initialProperties;
  const progress = args.quiet ? null : new ProgressReporter({ label: 'upload', total: source.length, tty: io.stderr.isTTY === true, write: (t) => io.stderr.write(t) });
  const note = (line: string): void => {
    if (!args.quiet) io.stderr.write(`${io.stderr.isTTY === true ? '\r\x1b[2K' : ''}glance-docker: ${line}\n`);
  };
  note(`reading ${source.description}; uploading to ${glance.endpoint}`);
  let result;
  try {
    result = await uploadArchive({
      glance,
      source,
      name: args.name,
      visibility: args.visibility,
      properties,
      userProperties: args.properties,
      allowUnloadable: args.allowUnloadable,
      hashAlgorithms: args.verifyHash,
      verifyLayerDigests: args.verifyLayers,
      wait: args.wait,
      ...(progress === null ? {} : { onProgress: (b: number) => progress.update(b) }),
      note,
      signal,
    });
  } finally {
    progress?.done();
  }
  const { image, archive, summary, digests } = result;
  if (args.format === 'json') {
    io.stdout.write(
      `${JSON.stringify({
        image: imageRecord(image),
        docker: { image_id: archive.imageId, repo_tags: archive.repoTags, layout: summary.layout, gzipped: summary.gzipped, layers: archive.layers.length, architecture: archive.architecture, os: archive.os },
        verified: { size: digests.bytes, md5: digests.md5, sha512: digests.sha512, layers: args.verifyLayers },
      })}\n`,
    );
  } else {
    io.stdout.write(
      `Imported ${image.name ?? ''} as Glance image ${image.id} (${image.status})\n` +
        `  docker image ${archive.imageId}${archive.repoTags.length > 0 ? ` (${archive.repoTags.join(', ')})` : ''}, ${archive.layers.length} layers, ${summary.layout} layout${summary.gzipped ? ', gzip' : ''}\n` +
        `  ${formatBytes(digests.bytes)} (${digests.bytes} bytes); Glance's size${digests.md5 === null ? '' : ', checksum (md5)'}${digests.sha512 === null ? '' : ', os_hash_value (sha512)'} match what was sent` +
        `${args.verifyLayers ? "; every layer matches the archive's config" : ''}\n`,
    );
  }
  return EXIT.ok;
}

async function runList(args: CliArgs, io: CliIo, glance: GlanceClient, signal: AbortSignal): Promise<number> {
  const images: GlanceImage[] = [];
  for await (const img of glance.listImages({ containerFormat: 'docker', sort: 'created_at:desc' }, signal)) images.push(img);
  io.stdout.write(args.format === 'json' ? `${JSON.stringify(images.map(imageRecord))}\n` : listTable(images));
  return EXIT.ok;
}

async function runShow(args: CliArgs, io: CliIo, glance: GlanceClient, signal: AbortSignal): Promise<number> {
  const image = await findImage(glance, args.positionals[0] as string, signal);
  io.stdout.write(args.format === 'json' ? `${JSON.stringify(imageRecord(image))}\n` : showText(image));
  return EXIT.ok;
}

async function runVerify(args: CliArgs, io: CliIo, glance: GlanceClient, signal: AbortSignal): Promise<number> {
  const image = await findImage(glance, args.positionals[0] as string, signal);
  const progress = args.quiet ? null : new ProgressReporter({ label: 'verify', total: image.size, tty: io.stderr.isTTY === true, write: (t) => io.stderr.write(t) });
  let report;
  try {
    report = await verifyImage(glance, image, { ...(progress === null ? {} : { onProgress: (b: number) => progress.update(b) }), signal });
  } finally {
    progress?.done();
  }
  const ok = report.problems.length === 0;
  const archive = report.summary?.images[0];
  if (args.format === 'json') {
    io.stdout.write(
      `${JSON.stringify({
        id: image.id,
        name: image.name,
        ok,
        problems: report.problems,
        ...(report.digests === null ? {} : { size: report.digests.bytes, md5: report.digests.md5, sha512: report.digests.sha512 }),
        ...(archive === undefined ? {} : { docker: { image_id: archive.imageId, repo_tags: archive.repoTags, layout: report.summary?.layout, layers: archive.layers.length } }),
      })}\n`,
    );
  } else if (ok) {
    io.stdout.write(
      `OK ${image.id} (${image.name ?? ''}): ${report.digests?.bytes ?? 0} bytes match Glance's size, checksum and os_hash_value; ` +
        `archive ${report.summary?.layout ?? ''} with docker image ${archive?.imageId ?? '?'}, ${archive?.layers.length ?? 0} layers, all present and matching\n`,
    );
  } else {
    io.stdout.write(`FAILED ${image.id} (${image.name ?? ''}):\n${report.problems.map((p) => `  - ${p}\n`).join('')}`);
  }
  return ok ? EXIT.ok : EXIT.failure;
}
