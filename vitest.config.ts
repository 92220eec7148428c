import { defineConfig } from 'vitest/config';

// One project per environment a suite needs, so `npm run test:unit` stays fast and the
// privileged suites (netns, VM, browser) are run deliberately.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['agent/src/**/*.test.ts', 'schema/src/**/*.test.ts', 'control-plane/src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.case.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'db',
          include: ['test/db/**/*.test.ts', 'test/http/**/*.test.ts'],
          exclude: ['**/*.case.test.ts'],
          globalSetup: ['test/support/postgres-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'net',
          include: ['test/net/**/*.test.ts'],
          exclude: ['**/*.case.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'vm',
          include: ['test/vm/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          // A page updates on its own clock (live stream, polls): give it seconds, not one.
          expect: { poll: { timeout: 5_000 } },
        },
      },
    ],
  },
});
