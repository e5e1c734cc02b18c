import { defineConfig } from 'vitest/config';

// Three projects: pure unit tests (no services); integration tests that talk to
// the real RabbitMQ, dockerd and Python oslo.messaging; end-to-end tests through
// the openstack CLI against an all-in-one Nova (test/e2e/aio.sh). The global
// set-ups start what is missing or fail with a clear message.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration files share one broker and one dockerd; running them one at a
          // time keeps their timing assertions honest on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Brings the all-in-one Nova up (test/e2e/aio.sh up) and imports the image.
          globalSetup: ['test/e2e/e2e-global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // One cloud, one compute host: files run one at a time.
          fileParallelism: false,
          // After the other projects: they share dockerd and the broker, and the
          // end-to-end run is the slowest and loads the 2 cores most.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
