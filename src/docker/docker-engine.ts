/**
 * The Docker Engine port: the only view of Docker the compute driver has.
 *
 * It is deliberately narrow (what the driver needs, nothing else) and speaks in
 * the project's own types, so the driver never sees dockerode or Docker's JSON
 * casing. Every method throws BridgeErrors only:
 *
 * - ERR_INSTANCE_NOT_FOUND: the container (or exec) does not exist (HTTP 404)
 * - ERR_IMAGE_NOT_FOUND: the image does not exist (HTTP 404 on image calls)
 * - ERR_CONFLICT: the container's state forbids the call, or the name is taken (409)
 * - ERR_INVALID_ARGUMENT: the Engine rejected a parameter (400)
 * - ERR_DOCKER: the Engine failed (5xx, unexpected status)
 * - ERR_DOCKER_UNAVAILABLE: the Engine cannot be reached (socket refused/missing/reset)
 * - ERR_TIMEOUT / ERR_ABORTED: the call's deadline ran out / its signal aborted
 *
 * Idempotent calls (start, stop) treat Docker's 304 "not modified" as success.
 */
import type { Readable } from 'node:stream';

/** The Engine's `/version` answer. */
export interface EngineVersion {
  /** Engine release, e.g. "20.10.24+dfsg1". */
  readonly version: string;
  /** Highest API version the Engine speaks, e.g. "1.41". */
  readonly apiVersion: string;
  /** Lowest API version the Engine accepts, when it says. */
  readonly minApiVersion: string | null;
  /** Go-style OS/arch, e.g. "linux" / "amd64". */
  readonly os: string;
  readonly arch: string;
  readonly kernelVersion: string | null;
}

/** The parts of the Engine's `/info` the driver uses. */
export interface EngineInfo {
  /** The Engine host's name. */
  readonly name: string;
  /** CPUs visible to the Engine. */
  readonly ncpu: number;
  /** Physical memory of the Engine host, bytes. */
  readonly memTotalBytes: number;
  /** Where images and container layers live (statfs target for disk figures). */
  readonly dockerRootDir: string;
  /** `uname -m` of the Engine host, e.g. "x86_64", "aarch64". */
  readonly architecture: string;
  readonly operatingSystem: string;
  readonly serverVersion: string;
  readonly kernelVersion: string;
}

/** A bind mount of a host path into the container. */
export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** A resource limit (`ulimit`) of the container's processes. */
export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

/** A published port: container port/protocol → optional host address and port. */
export interface PortPublication {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  /** Host port; null lets Docker choose one. */
  readonly hostPort: number | null;
  /** Host address to bind; null binds all addresses. */
  readonly hostIp: string | null;
}

/**
 * CPU and memory limits. Only the fields that are set are applied; on update,
 * the unset ones keep their current value.
 */
export interface ResourceLimits {
  /** CPU limit in units of 1e-9 CPUs. */
  readonly nanoCpus?: number;
  /** CFS quota in microseconds per `cpuPeriodUs`. */
  readonly cpuQuotaUs?: number;
  readonly cpuPeriodUs?: number;
  /** Relative CPU weight (1024 = one default share). */
  readonly cpuShares?: number;
  /** Memory limit in bytes. */
  readonly memoryBytes?: number;
  /** Memory plus swap limit in bytes; equal to memoryBytes means no swap. */
  readonly memorySwapBytes?: number;
}

/** Everything the driver decides about a new container. */
export interface ContainerCreateSpec {
  /** Container name (unique on the Engine; creating a taken name is ERR_CONFLICT). */
  readonly name: string;
  /** Image reference or ID. */
  readonly image: string;
  /** Command; null keeps the image's CMD. */
  readonly cmd: readonly string[] | null;
  /** "NAME=value" strings. */
  readonly env: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly hostname: string | null;
  readonly domainname: string | null;
  readonly resources: ResourceLimits;
  /** "bridge", "none", "host" or a user-defined network name. */
  readonly networkMode: string;
  readonly dns: readonly string[];
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
  readonly publishAllPorts: boolean;
  readonly ports: readonly PortPublication[];
  readonly mounts: readonly BindMount[];
  readonly ulimits: readonly Ulimit[];
  /** Run Docker's init (tini) as PID 1 so signals reach the command. */
  readonly init: boolean;
}

/** Docker's container states. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** The container as `inspect` sees it. `status` is kept as sent, even when unknown to us. */
export interface ContainerDetails {
  readonly id: string;
  /** Name without Docker's leading "/". */
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: {
    readonly status: string;
    readonly running: boolean;
    readonly paused: boolean;
    readonly exitCode: number;
    /** Host PID of the container's first process (0 when not running). */
    readonly pid: number;
    readonly oomKilled: boolean;
    readonly error: string;
    readonly startedAt: string | null;
    readonly finishedAt: string | null;
  };
  readonly hostname: string;
  readonly domainname: string;
  /** Limits as stored in HostConfig (0 = unlimited / unset). */
  readonly resources: Required<ResourceLimits>;
  readonly mounts: readonly BindMount[];
  readonly env: readonly string[];
  readonly cmd: readonly string[] | null;
}

/** One entry of a container listing. */
export interface ContainerSummary {
  readonly id: string;
  /** Name without Docker's leading "/". */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Docker state, e.g. "running". */
  readonly status: string;
}

/** An image as `inspect` sees it. */
export interface ImageDetails {
  /** "sha256:…" */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly architecture: string;
  readonly os: string;
  readonly cmd: readonly string[] | null;
  readonly entrypoint: readonly string[] | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly sizeBytes: number;
}

/** One entry of an image listing. */
export interface ImageSummary {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Result of a command run inside a container. */
export interface ExecResult {
  /** Exit status; null when the Engine did not report one. */
  readonly exitCode: number | null;
  /** stdout and stderr interleaved, bounded. */
  readonly output: Buffer;
}

/** Options for {@link DockerEngine.execRun}. */
export interface ExecOptions {
  readonly cmd: readonly string[];
  /** User to run as ("root", "uid:gid"); default the image's user. */
  readonly user?: string;
  /** Bytes written to the command's stdin, which is then closed. Never logged. */
  readonly stdin?: Buffer;
  /** Keep at most this many output bytes (default 64 KiB). */
  readonly maxOutputBytes?: number;
  /**
   * Stop waiting after this many ms (default: the Engine API timeout). The
   * command itself goes on: Docker does not kill an exec whose caller left.
   */
  readonly timeoutMs?: number;
}

/** Bounds of a log read. */
export interface LogTailOptions {
  /** Last N lines. */
  readonly tailLines: number;
  /** Keep at most the last N bytes of those lines. */
  readonly maxBytes: number;
}

/** Result of {@link DockerEngine.loadImage}. */
export interface LoadedImages {
  /** "repo:tag" references and/or "sha256:…" IDs the Engine reported. */
  readonly references: readonly string[];
}

/** Options of {@link DockerEngine.commitContainer}. */
export interface CommitOptions {
  /**
   * Labels added to the new image's config. Docker merges them with the
   * container's own labels (it cannot drop any), so they only add.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** The image's comment (`docker history` shows it). */
  readonly comment?: string;
  /** Freeze the container while its filesystem is read (consistent snapshot). */
  readonly pause: boolean;
}

export interface DockerEngine {
  /**
   * Reaches the Engine, checks it speaks a supported API version and pins the
   * version used from then on. Other methods call it lazily; calling it first
   * (as init_host does) surfaces an unusable Engine early. Idempotent.
   */
  connect(signal?: AbortSignal): Promise<EngineVersion>;
  ping(signal?: AbortSignal): Promise<void>;
  version(signal?: AbortSignal): Promise<EngineVersion>;
  info(signal?: AbortSignal): Promise<EngineInfo>;

  /** Creates a container; returns its ID. A taken name is ERR_CONFLICT. */
  createContainer(spec: ContainerCreateSpec, signal?: AbortSignal): Promise<string>;
  /** Starts; already running is success. */
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; already stopped is success. */
  stopContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void>;
  /** Stop (as above) then start, in one Engine call. */
  restartContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void>;
  /** Sends a signal (default SIGKILL). Not running is ERR_CONFLICT. */
  killContainer(id: string, signalName?: string, signal?: AbortSignal): Promise<void>;
  /**
   * Resolves with the exit code once the container is not running (at once if
   * it already stopped). Waits as long as `signal` lets it: bound it.
   */
  waitContainerExit(id: string, signal?: AbortSignal): Promise<number>;
  /** Removes (force: even when running; anonymous volumes too). Missing is ERR_INSTANCE_NOT_FOUND. */
  removeContainer(id: string, options: { force: boolean }, signal?: AbortSignal): Promise<void>;
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /** Containers (running or not) carrying every given label (value null = label present with any value). */
  listContainers(labels: Readonly<Record<string, string | null>>, signal?: AbortSignal): Promise<ContainerSummary[]>;
  pauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** Changes CPU/memory limits of a container, running or not. */
  updateContainer(id: string, resources: ResourceLimits, signal?: AbortSignal): Promise<void>;
  /** The last lines of stdout+stderr, demultiplexed and bounded. */
  containerLogs(id: string, options: LogTailOptions, signal?: AbortSignal): Promise<Buffer>;
  /** Extracts a tar archive into directory `path` of the container's filesystem. */
  putArchive(id: string, path: string, tar: Buffer | Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Reads one regular file from the container's filesystem (works on stopped
   * containers). Returns null when the path does not exist or is not a file.
   */
  readFile(id: string, path: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | null>;
  /** Runs a command in a running container and waits for it to exit. */
  execRun(id: string, options: ExecOptions, signal?: AbortSignal): Promise<ExecResult>;

  inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails>;
  /** Images matching a reference pattern (e.g. "repo:*") and/or labels. */
  listImages(filter: { reference?: string; labels?: Readonly<Record<string, string | null>> }, signal?: AbortSignal): Promise<ImageSummary[]>;
  /** Adds the tag `repo:tag` to an existing image. */
  tagImage(reference: string, repo: string, tag: string, signal?: AbortSignal): Promise<void>;
  /**
   * `docker load` of a `docker save` tar stream. Resolves once the Engine took
   * the whole archive. If `tar` fails (errors, or is destroyed before its end)
   * the load is abandoned and this rejects with that failure (a BridgeError
   * passes through; anything else becomes ERR_INVALID_IMAGE). When the load
   * fails for any other reason, `tar` is destroyed, so whatever feeds it is
   * not left waiting for a reader.
   */
  loadImage(tar: Readable, signal?: AbortSignal): Promise<LoadedImages>;
  /**
   * `docker save REFERENCE`: resolves once the Engine answered (a missing image
   * is ERR_IMAGE_NOT_FOUND then, before any byte flows) with the archive
   * stream; failures while it flows are BridgeErrors on the stream.
   */
  saveImage(reference: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * Removes an image, or one tag of it; false when there was nothing to remove.
   * Without `force`, an image a container uses is ERR_CONFLICT.
   */
  removeImage(reference: string, options: { force: boolean }, signal?: AbortSignal): Promise<boolean>;
  /** `docker commit`: a new image of the container's filesystem, without a tag; returns its ID ("sha256:…"). */
  commitContainer(id: string, options: CommitOptions, signal?: AbortSignal): Promise<string>;
}
