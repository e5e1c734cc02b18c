import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests (no services), and integration tests that talk to
// the real RabbitMQ, dockerd and Python oslo.messaging. The integration project's
// global set-up starts what is missing or fails with a clear message.
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
    ],
  },
});
