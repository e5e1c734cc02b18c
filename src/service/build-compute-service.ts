/**
 * The composition root: the only place that picks adapters (amqplib bus,
 * dockerode engine, axios for Glance/Keystone) and hands them to the domain.
 */
import { createComputeDriver, createDockerEngine } from '../compute/create-compute-driver.js';
import { createComputeEndpoint } from '../compute/compute-endpoint.js';
import { novaFailureMapper } from '../compute/nova-failure-mapper.js';
import type { BridgeConfig } from '../config/options/index.js';
import type { RequestCredentials } from '../images/glance-access.js';
import { glanceAccessFromConfig, imageEnsurerFromConfig } from '../images/image-ensurer-from-config.js';
import { SnapshotUploader } from '../images/snapshot-uploader.js';
import type { Logger } from '../log/logger.js';
import type { RequestContext } from '../rpc/rpc-endpoint.js';
import { raceAbort } from '../util/abort.js';
import { ComputeService } from './compute-service.js';

/** How long stop waits for the undo of failed image downloads (a few Engine calls). */
const UNDO_AT_STOP_MS = 30_000;

export async function buildComputeService(config: BridgeConfig, logger: Logger): Promise<ComputeService> {
  // One Docker adapter for containers and image transfers alike (local socket or TCP+TLS).
  const engine = createDockerEngine(config, logger);
  const imagesLog = logger.child({}, 'images');
  const access = glanceAccessFromConfig(config, { logger: imagesLog });
  const images = imageEnsurerFromConfig(config, { store: engine, access, logger: imagesLog });
  const snapshots = new SnapshotUploader({ store: engine, glanceFor: (req, signal) => access.client(req, signal), logger: imagesLog });
  // Glance is called with the caller's token (and catalog) when it sent one, as Nova does.
  const credentials = (request: RequestContext | undefined): RequestCredentials => ({ authToken: request?.authToken ?? null, serviceCatalog: request?.values.service_catalog });
  const { driver } = createComputeDriver(config, logger, {
    engine,
    // A missing image is streamed from Glance into docker load.
    fetchMissingImage: async (image, request, signal) => (await images.ensureImage(image, credentials(request), signal)).reference,
    // A snapshot's committed image is streamed from docker save into the Glance image Nova created.
    uploadSnapshot: async (job, request, signal) => {
      await snapshots.upload({ glanceImageId: job.glanceImageId, projectId: job.instance.project_id, commit: job.commit }, credentials(request), signal);
    },
  });
  return new ComputeService({
    config,
    logger,
    endpoints: [createComputeEndpoint(driver, logger.child({}, 'compute'))],
    failureMapper: novaFailureMapper,
    // Check the Engine and reconcile leftovers of a crash before taking any request.
    beforeServe: async () => {
      await driver.init_host({ host: config.DEFAULT.host });
    },
    // A failed download's undo may still be waiting for the downloads beside it: give it a moment.
    // User-data scripts still running are left to their containers (only our wait for them ends).
    afterDrain: async () => {
      await driver.stopBackground();
      await raceAbort(images.undosSettled(), AbortSignal.timeout(UNDO_AT_STOP_MS), 'the undo of a failed image download at stop');
    },
  });
}
