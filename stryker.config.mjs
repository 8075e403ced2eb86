// @ts-check
import { createRequire } from 'node:module';
import { delimiter, dirname } from 'node:path';

// The runs use npm's static ffmpeg (@ffmpeg-installer, a dependency already), put first on PATH for the runners and
// the apps they start, whatever the machine has. The app and its tests start ffmpeg thousands of times in a run, and a
// dynamically linked build loads a hundred libraries each time: twenty 1-second encodes take 3.24 s with Debian's
// /usr/bin/ffmpeg and 0.24 s with npm's on the quiet 2-core machine. A from-scratch run that took 33 min 54 s
// without Debian's ffmpeg was on course for about 45 with it. `npm test` still prefers the system ffmpeg (the
// maintained one the app runs in production); the suite passes with either.
const npmFfmpeg = /** @type {{ path: string }} */ (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg')).path;
process.env.PATH = `${dirname(npmFfmpeg)}${delimiter}${process.env.PATH ?? ''}`;

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
  // One worker thread per runner, reused across test files (vitest.stryker.config.ts: isolate false, quickest file
  // first). Stryker's own overhead figure for the 231 tests that reach thread.ts: 15.5 s with a forked worker per
  // file, 1.7 s this way; thread.ts's 220 mutants took 25 min 18 s with forks.
  vitest: { configFile: 'vitest.stryker.config.ts', pool: 'threads' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // A mutant reached only while modules load or while a test file's beforeAll starts the app (module-level
  // constants and patterns, route set-up) is "static": Stryker could test it only by re-running the whole suite
  // with the module reloaded, about 2 minutes each, which would take the run past 40 minutes on two cores. Those
  // are reported as Ignored and left out of the score. A mutant that tests also reach (config.ts is both read at
  // start and by its own tests) is still run, against the tests that reach it.
  ignoreStatic: true,
  mutate: [
    // What is stored, and its rules: the job state machine, the relay ledger, segments, every key.
    'src/records/job.ts',
    'src/records/ledger.ts',
    'src/records/segments.ts',
    'src/store/keys.ts',
    'src/records/tracking-id.ts',
    // Secrets at rest and "Add to Slack": the cipher, the OAuth state.
    'src/workspaces/cipher.ts',
    'src/workspaces/oauth-state.ts',
    // What a caller can send: request targets, body slots and reads, the webhook, the server, /healthz.
    'src/http/target.ts',
    'src/http/slots.ts',
    'src/http/body.ts',
    'src/http/webhook.ts',
    'src/http/server.ts',
    'src/http/health.ts',
    'src/providers/omicall/callback.ts',
    'src/providers/omicall/envelope.ts',
    'src/slack/download.ts',
    'src/slack/files.ts',
    'src/audio/containers.ts',
    'src/audio/length.ts',
    'src/slack/mrkdwn.ts',
    'src/pipeline/render.ts',
    'src/pipeline/thread.ts',
    'src/pipeline/results.ts',
    'src/config.ts',
    'src/log.ts',
  ],
  // The initial run (every test, with per-test coverage) takes longer than Stryker's default 5 minutes since the
  // suite waits at Slack's real pace in places (docs/testing.md gives its time).
  dryRunTimeoutMinutes: 15,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: 85 },
  // Four type-checker processes and four test runners while mutants are being checked, then eight runners
  // (Stryker gives checkers half of `concurrency`). Eight on two cores because most of a runner's time is spent
  // waiting: on the app's timers, Slack's and OMICall's stand-ins, Redis and child processes. With four, once the
  // quickly killed mutants were done each runner used 15 % of a core (load 1.4); with six, the same through the
  // slowest ten minutes of the run (load about 3), and two runs from scratch took 36 min 28 s and 39 min 58 s.
  concurrency: 8,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
