import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the "@eddy/source" export condition, so they run
// against sources with no build step. Slow suites are projects of their own.
const sourceConditions = ['@eddy/source', 'node', 'import', 'default'];

const shared = {
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'tools/**/*.test.ts'],
          exclude: ['**/*.sim.test.ts', '**/*.it.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'sim',
          include: ['packages/*/src/**/*.sim.test.ts'],
          testTimeout: 600_000,
        },
      },
      {
        ...shared,
        test: {
          // In-process clusters (packages/testing): real gRPC on loopback, one process.
          name: 'integration',
          include: ['packages/*/src/**/*.it.test.ts'],
          testTimeout: 120_000,
          // One file at a time: clusters measure time and must not fight over two cores.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        ...shared,
        test: {
          // Real `eddy` processes on loopback, with faults. Needs a build (`pnpm build`).
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
