import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deletes the Redis keys each test file made (test/helpers/redis.ts).
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    // Four files at a time on two cores: most of a file's time is spent waiting (on the app's timers, the stand-ins,
    // Redis, child processes), and the cores are idle about half the time even so. Measured on the quiet 2-core
    // machine (see docs/testing.md): 137 s with three, 109 s with four, 91 s with five; four leaves the
    // timing-sensitive tests room.
    maxWorkers: 4,
  },
});
