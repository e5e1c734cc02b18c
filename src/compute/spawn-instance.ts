/**
 * spawn: image → container → files → start → running, idempotent by instance
 * UUID and leaving nothing behind on failure.
 *
 * Round trips on the common path (image found by its first candidate, no key,
 * no injected files): inspect image, create, start, inspect. A duplicated spawn
 * finds the name taken (409) and converges on the existing container.
 */
import type { ContainerDetails, ImageDetails } from '../docker/docker-engine.js';
import { BridgeError, isBridgeError, toBridgeError } from '../errors/bridge-error.js';
import { throwIfAborted } from '../util/abort.js';
import { packTar, type TarEntry } from '../util/tar-archive.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { RequestContext } from '../rpc/rpc-endpoint.js';
import type { ImageMeta, SpawnArgs } from './payloads.js';
import { containerName } from './translate/container-name.js';
import { buildCreatePlan } from './translate/create-spec.js';
import {
  authorizedKeysPath,
  defaultUser,
  findPasswdEntry,
  injectedFileEntries,
  keyEntries,
  mergeAuthorizedKeys,
  type PasswdEntry,
} from './translate/file-injection.js';
import { hostsFileContent } from './translate/hosts-file.js';
import { imageCandidates } from './translate/image-reference.js';
import { isManaged } from './translate/labels.js';
import { HEAT_CFNTOOLS_DIR, planUserData, USER_DATA_DIR, type UserDataFile } from './translate/user-data.js';
import { plugInstanceNetwork } from './after-start.js';
import { startPendingUserData } from './run-user-data.js';

const MAX_READ_BYTES = 1024 * 1024;

/**
 * Brings a missing image onto the Engine (the Glance download) and returns the
 * reference to create from; null when it cannot (then ERR_IMAGE_NOT_FOUND).
 * `request` is the caller's RPC context (its Keystone token, for Glance).
 */
export type MissingImageHandler = (image: ImageMeta, request: RequestContext | undefined, signal?: AbortSignal) => Promise<string | null>;

/** Finds the local image for the spawn, or ERR_IMAGE_NOT_FOUND naming every reference tried. */
export async function resolveImage(
  rt: InstanceRuntime,
  args: SpawnArgs,
  signal?: AbortSignal,
  fetchMissing?: MissingImageHandler,
  request?: RequestContext,
): Promise<ImageDetails> {
  const image = args.image_meta;
  const fmt = image.container_format;
  if (fmt !== null && !rt.settings.allowedContainerFormats.includes(fmt)) {
    throw new BridgeError(
      'ERR_INVALID_IMAGE',
      `image ${image.id ?? image.name ?? '?'} has container_format ${JSON.stringify(fmt)}; this host boots only ${rt.settings.allowedContainerFormats.join(', ')} images`,
      { details: { image_id: image.id, field: 'image_meta.container_format' } },
    );
  }
  const all = imageCandidates(image, args.instance.system_metadata, rt.settings.glanceImageRepository);
  // Where Glance can supply the image, only the tag a verified download gives is trusted: the
  // name and docker_image_id are the image owner's to choose, and would boot whatever the host
  // has under them (another tenant's image, or an older image of the same name).
  const glanceOnly = fetchMissing !== undefined && (rt.settings.localImageLookup ?? 'glance-id') === 'glance-id' && all[0]?.source === 'glance-id-tag';
  const candidates = glanceOnly ? all.slice(0, 1) : all;
  for (const c of candidates) {
    try {
      const found = await rt.engine.inspectImage(c.reference, signal);
      if (c.source === 'recorded-image-id') tagForNextSpawn(rt, found.id, candidates[0]);
      return found;
    } catch (err) {
      if (!isBridgeError(err, 'ERR_IMAGE_NOT_FOUND')) throw err;
    }
  }
  if (fetchMissing) {
    const fetched = await fetchMissing(image, request, signal);
    if (fetched !== null) return rt.engine.inspectImage(fetched, signal);
  }
  const tried = candidates.map((c) => c.reference).join(', ') || 'no usable reference (image_meta has neither id nor a valid name)';
  throw new BridgeError('ERR_IMAGE_NOT_FOUND', `image ${image.id ?? image.name ?? '?'} is not present on the Docker Engine of host ${rt.settings.host} (tried ${tried})`, {
    details: { image_id: image.id, tried: candidates.map((c) => c.reference) },
  });
}

/**
 * An image found by the digest Glance recorded (`docker_image_id`) gets the
 * `<repository>:<glance id>` tag a download would have given it, so the next
 * spawn finds it with its first lookup (one Engine round trip less). Only for
 * the digest, which names exactly that content; never for a match by name. Off
 * the spawn's path: a failed tag only costs the next spawn that round trip.
 */
function tagForNextSpawn(rt: InstanceRuntime, imageId: string, first: { reference: string; source: string } | undefined): void {
  if (first?.source !== 'glance-id-tag') return;
  const colon = first.reference.lastIndexOf(':');
  const [repo, tag] = [first.reference.slice(0, colon), first.reference.slice(colon + 1)];
  rt.engine.tagImage(imageId, repo, tag, AbortSignal.timeout(30_000)).then(
    () => rt.logger.info('image tagged with its Glance ID for later spawns', { image: imageId, reference: first.reference }),
    (err: unknown) => rt.logger.warning('could not tag the image with its Glance ID', { image: imageId, reference: first.reference, err }),
  );
}

/**
 * Reads a file of a container. A container fresh from create has exactly its
 * image's files, and images are immutable, so those reads are cached by image
 * ID: archive reads mount the container's filesystem and cost tens of ms.
 */
type FileReader = (path: string) => Promise<Buffer | null>;

function containerFileReader(rt: InstanceRuntime, id: string, imageId: string | null, signal?: AbortSignal): FileReader {
  return async (path) => {
    if (imageId === null) return rt.engine.readFile(id, path, MAX_READ_BYTES, signal);
    return rt.imageFiles.get(imageId, path, () => rt.engine.readFile(id, path, MAX_READ_BYTES, signal));
  };
}

/** The user whose authorized_keys receives the key, or null (logged) when the image lacks it. */
async function keyUser(rt: InstanceRuntime, read: FileReader): Promise<PasswdEntry | null> {
  const user = rt.settings.keyInjectionUser;
  // Root needs no passwd lookup: its home is /root by convention in every image.
  if (user === 'root') return defaultUser('root');
  const passwd = await read('/etc/passwd');
  const entry = passwd === null ? null : findPasswdEntry(passwd.toString('utf8'), user);
  return entry ?? defaultUser(user);
}

/** The user-data files as archive entries, with their directories (root only: scripts and Heat's credentials). */
function userDataEntries(files: readonly UserDataFile[], now: Date): TarEntry[] {
  if (files.length === 0) return [];
  const dirs = [USER_DATA_DIR, ...(files.some((f) => f.path.startsWith(`${HEAT_CFNTOOLS_DIR}/`)) ? [HEAT_CFNTOOLS_DIR] : [])];
  return [
    ...dirs.map((d) => ({ path: d.slice(1), type: 'directory' as const, mode: 0o700, uid: 0, gid: 0, mtime: now })),
    ...files.map((f) => ({ path: f.path.slice(1), type: 'file' as const, content: f.content, mode: f.mode, uid: 0, gid: 0, mtime: now })),
  ];
}

/**
 * Puts the instance key, Nova's injected files and the user-data files into
 * the (not yet started) container in one archive. `imageId` is set when the
 * container is fresh from create (its files are the image's), null when it may
 * already hold ours.
 */
async function injectFiles(rt: InstanceRuntime, id: string, imageId: string | null, args: SpawnArgs, userData: readonly UserDataFile[], signal?: AbortSignal): Promise<void> {
  const now = new Date();
  const entries: TarEntry[] = [];
  const keyData = args.instance.key_data;
  if (keyData !== null && rt.settings.injectKey) {
    const read = containerFileReader(rt, id, imageId, signal);
    const user = await keyUser(rt, read);
    if (user === null) {
      rt.logger.warning('key not injected: the image has no such user', { instance: args.instance.uuid, user: rt.settings.keyInjectionUser });
    } else {
      const existing = await read(authorizedKeysPath(user));
      entries.push(...keyEntries(user, mergeAuthorizedKeys(existing === null ? null : existing.toString('utf8'), keyData), now));
    }
  }
  entries.push(...injectedFileEntries(args.injected_files, now));
  entries.push(...userDataEntries(userData, now));
  if (entries.length === 0) return;
  await rt.engine.putArchive(id, '/', await packTar(entries), signal);
}

/** Sets the admin password with the image's chpasswd; an image without one is left as is (logged). */
async function setAdminPassword(rt: InstanceRuntime, id: string, uuid: string, password: string, signal?: AbortSignal): Promise<void> {
  const user = rt.settings.keyInjectionUser;
  const result = await rt.engine.execRun(id, { cmd: ['chpasswd'], user: 'root', stdin: Buffer.from(`${user}:${password}\n`, 'utf8'), maxOutputBytes: 4096 }, signal);
  if (result.exitCode === 0) {
    rt.logger.info('admin password set', { instance: uuid, user });
  } else if (result.exitCode === 126 || result.exitCode === 127) {
    rt.logger.warning('admin password not set: the image has no chpasswd', { instance: uuid });
  } else {
    // As Nova's libvirt injection: a failed password is logged, not fatal.
    rt.logger.warning('admin password not set: chpasswd failed', { instance: uuid, exit_code: result.exitCode, output: result.output.toString('utf8').slice(0, 500) });
  }
}

/** Client faults keep their code (Nova aborts the build); everything else is a deploy failure (Nova reschedules). */
function spawnFailure(err: unknown, uuid: string): BridgeError {
  const e = toBridgeError(err);
  // The instance's own container vanishing mid-spawn is a failed deploy: as InstanceNotFound,
  // Nova would log "disappeared during build" and leave the server in BUILD.
  if ((e.fault === 'client' && e.code !== 'ERR_INSTANCE_NOT_FOUND') || e.code === 'ERR_DEPLOY_FAILED') return e;
  return new BridgeError('ERR_DEPLOY_FAILED', `spawn of instance ${uuid} failed: ${e.message}`, { cause: e, details: { ...e.details, instance_uuid: uuid, cause_code: e.code } });
}

export async function spawnInstance(
  rt: InstanceRuntime,
  args: SpawnArgs,
  signal?: AbortSignal,
  options: { fetchMissing?: MissingImageHandler | undefined; request?: RequestContext | undefined } = {},
): Promise<void> {
  const uuid = args.instance.uuid;
  const log = rt.logger.child({ instance: uuid });
  const started = rt.clock.now();
  await rt.withInstance(
    uuid,
    'spawn',
    async ({ image, info }) => {
      const plan = buildCreatePlan(args, rt.settings, { image: image.id, hostCpus: info.ncpu, hostsFilePath: rt.state.hostsFile(uuid), ephemeralDirPath: rt.state.ephemeralDir(uuid) });
      for (const note of plan.notes) log.info(note);
      const userData = rt.settings.runUserData ? planUserData(args.instance.user_data) : null;
      for (const note of userData?.notes ?? []) log.warning(note);
      for (const note of userData?.routine ?? []) log.info(note);
      let id: string | null = null;
      try {
        await rt.state.prepare(uuid, rt.settings.manageHostsFile ? hostsFileContent(plan.identity) : null, { ephemeral: plan.ephemeralDir });
        await rt.state.markOperation(uuid, 'spawn');
        let existing: ContainerDetails | null = null;
        try {
          // Not cancellable: a create aborted on our side may still complete in the Engine a moment
          // later, after the clean-up below looked for it; finished, it is found and removed.
          id = await rt.engine.createContainer(plan.spec);
          throwIfAborted(signal, `spawn of instance ${uuid}`);
        } catch (err) {
          if (!isBridgeError(err, 'ERR_CONFLICT')) throw err;
          existing = await rt.engine.inspectContainer(containerName(uuid), signal);
          if (!isManaged(existing.labels, rt.settings.host, uuid)) {
            throw new BridgeError('ERR_CONFLICT', `container name ${containerName(uuid)} is taken by a container this service does not manage`, { details: { instance_uuid: uuid } });
          }
          id = existing.id;
          log.info('spawn converges on the existing container', { container: id, status: existing.state.status });
        }
        // Files go in before the first start (a converged, never-started container gets them again: the writes are idempotent).
        // User data runs once, after the first start: not again in a container that already ran.
        const firstStart = existing === null || existing.state.status === 'created';
        if (plan.interfaces.length > 0) await rt.state.setNetworkPlan(uuid, plan.interfaces);
        if (firstStart) {
          await injectFiles(rt, id, existing === null ? image.id : null, args, userData?.files ?? [], signal);
          // Recorded, not just run after the start below: an instance spawned powered off runs it at its first power-on.
          if (userData !== null && userData.scripts.length > 0) await rt.state.setPendingUserData(uuid, userData.scripts);
        }
        if (args.power_on) {
          await rt.engine.startContainer(id, signal);
          const running = await rt.waitRunning(id, `spawn of instance ${uuid}`, signal);
          await plugInstanceNetwork(rt, uuid, running, signal);
          if (args.admin_password !== null && rt.settings.injectPassword) await setAdminPassword(rt, id, uuid, args.admin_password, signal);
          await startPendingUserData(rt, id, uuid);
        } else {
          if (args.admin_password !== null && rt.settings.injectPassword) log.warning('admin password not set: the instance was not powered on');
          if (firstStart && userData !== null && userData.scripts.length > 0) log.info('user data will run at the instance\'s first power-on');
        }
        // Cleared only on success: a crash leaves it for start-up reconciliation.
        await rt.state.clearOperation(uuid);
      } catch (err) {
        const failure = spawnFailure(err, uuid);
        log.warning('spawn failed; removing what it created', { code: failure.code, err: failure.message });
        await rt.removeInstance(uuid).catch((cleanupErr: unknown) => log.error('clean-up after failed spawn failed', { err: cleanupErr }));
        throw failure;
      }
      log.info('instance spawned', { container: id, image: image.id, ms: Math.round(rt.clock.now() - started) });
    },
    signal,
    {
      // The marker is written once the directory exists (above), not before.
      marker: false,
      // Nothing is created before the image is known to be here. Outside the operation slots: a
      // download can take minutes, and must not hold up other instances' destroys and reboots.
      beforeSlot: () =>
        Promise.all([resolveImage(rt, args, signal, options.fetchMissing, options.request), rt.info(signal)])
          .then(([image, info]) => ({ image, info }))
          .catch((err: unknown) => {
            throw spawnFailure(err, uuid);
          }),
    },
  );
}
