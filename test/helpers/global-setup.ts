/**
 * vitest globalSetup of the integration project. Integration tests never skip:
 * this starts what is missing (scripts/start-services.sh, fast when all is up)
 * and then proves each service works, or fails the run with an error that names
 * the service and the fix.
 */
import amqp from 'amqplib';
import Docker from 'dockerode';
import {
  AMQP_URL,
  DOCKER_SOCKET,
  DOCKERD_LOG,
  PYTHON,
  RABBITMQ_LOG_DIR,
  REPO_ROOT,
  TEST_IMAGE,
  python,
  run,
} from './services.js';

/** The Docker Engine API the project is written against (Debian docker.io 20.10). */
const MIN_DOCKER_API = '1.41';

export default async function setup(): Promise<void> {
  try {
    await run('bash', [`${REPO_ROOT}scripts/start-services.sh`, '--quiet'], { timeoutMs: 240_000 });
  } catch (err) {
    throw new Error(`integration set-up: scripts/start-services.sh could not start the services: ${message(err)}`, { cause: err });
  }
  await checkRabbitMq();
  const docker = await checkDocker();
  await checkOsloMessaging();
  await ensureTestImage(docker);
}

async function checkRabbitMq(): Promise<void> {
  try {
    const conn = await amqp.connect(AMQP_URL, { timeout: 10_000 });
    await conn.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ not reachable at ${AMQP_URL.replace(/:[^:@/]*@/, ':***@')}: ${message(err)}. ` +
        `Fix: run scripts/start-services.sh (logs in ${RABBITMQ_LOG_DIR}/)`,
      { cause: err },
    );
  }
}

async function checkDocker(): Promise<Docker> {
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  let apiVersion: string;
  try {
    await docker.ping();
    apiVersion = (await docker.version()).ApiVersion;
  } catch (err) {
    throw new Error(
      `Docker Engine not reachable on ${DOCKER_SOCKET}: ${message(err)}. Fix: run scripts/start-services.sh (see ${DOCKERD_LOG})`,
      { cause: err },
    );
  }
  if (compareVersions(apiVersion, MIN_DOCKER_API) < 0) {
    throw new Error(`Docker Engine API ${apiVersion} on ${DOCKER_SOCKET} is older than ${MIN_DOCKER_API}: install Debian bookworm's docker.io (20.10) or newer`);
  }
  return docker;
}

async function checkOsloMessaging(): Promise<void> {
  try {
    await python(['-c', 'import oslo_messaging'], { timeoutMs: 60_000 });
  } catch (err) {
    throw new Error(
      `Python oslo.messaging not importable with ${PYTHON}: ${message(err)}. ` +
        'Fix: apt-get install python3-oslo.messaging (scripts/setup.sh does it); use /usr/bin/python3, not the python3 on PATH',
      { cause: err },
    );
  }
}

async function ensureTestImage(docker: Docker): Promise<void> {
  // build-test-image.sh is idempotent and also replaces an image of an older recipe.
  try {
    await run('bash', [`${REPO_ROOT}scripts/build-test-image.sh`, '--quiet'], { timeoutMs: 180_000 });
  } catch (err) {
    throw new Error(`test image ${TEST_IMAGE} could not be built: ${message(err)}. Fix: run scripts/build-test-image.sh --force and read its output`, {
      cause: err,
    });
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch (err) {
    throw new Error(`test image ${TEST_IMAGE} is missing after scripts/build-test-image.sh: ${message(err)}`, { cause: err });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Compares dotted numeric versions ("1.41" vs "1.9"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
