// @ts-check
/**
 * Mutation testing (`npm run mutation`): StrykerJS changes one thing at a time in the modules below and runs the
 * tests that reach it; a change no test notices is a promise the suite does not keep.
 *
 * What is mutated: the modules that guard data and security. What is left out, and why, is listed under
 * `mutate`. Reports land in `reports/` (ignored by git); the incremental file there makes a re-run cost only
 * the mutants whose code or tests changed.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts', pool: 'forks' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/records/tracking-id.ts',
    'src/http/webhook.ts',
    'src/http/server.ts',
    'src/http/health.ts',
    'src/providers/omicall/callback.ts',
    'src/providers/omicall/envelope.ts',
    'src/slack/download.ts',
    'src/slack/files.ts',
    'src/audio/containers.ts',
    'src/slack/mrkdwn.ts',
    'src/pipeline/render.ts',
    'src/pipeline/thread.ts',
    'src/pipeline/results.ts',
    'src/config.ts',
    'src/log.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: 85 },
  concurrency: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
