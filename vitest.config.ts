import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    // Three files at a time on two cores: most of a file's time is spent waiting (on the app's timers, the stand-ins,
    // Redis, child processes), so a third worker fills the gaps. Measured on the 2-core machine: 278 s with two,
    // 213 s with three; the suite then uses 307 s of CPU, so a fourth would only queue for the cores.
    maxWorkers: 3,
  },
});
