import { existsSync } from 'node:fs';
import { type RunningApp, startApp } from './app.ts';
import { type Config, loadConfig, secretsOf } from './config.ts';
import { ConfigError, describeError, errorMessage } from './errors.ts';
import { failCurrentRequest } from './http/server.ts';
import { createLogger } from './log.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\nSee README.md, "Configuration".\n`);
  process.exit(1);
}

const log = createLogger({
  level: config.logLevel,
  format: config.logFormat,
  secrets: secretsOf(config),
});

/**
 * Errors nothing caught. Each is logged once, scrubbed like every line. What happens next depends on where it came
 * from (each HTTP request runs in its own async context, so the server knows whether it was one of its requests):
 * - a rejected promise: it unwound no one's stack, so the app serves on; the request it was for, if any, and still
 *   unanswered, gets a 500;
 * - an exception thrown while a request was being served: that request is answered 500 (or its connection cut) and
 *   the app serves on; what the request was doing is bounded by its deadlines, and the store's writes are atomic;
 * - an exception from anything else (a timer of the pipeline, a store's or the queue's client): the process's own
 *   state may be half-changed, which Node documents as unsafe to go on with, so the app stops as on SIGTERM (relays in
 *   flight finish for up to 20 s, the rest wait in the store) and exits 1, for the platform to start it again;
 * - an exception before the app has started, or while it stops: the process exits 1 at once.
 * Work a request started (what it does after its answer) runs in its context, and counts as the request's.
 */
let app: RunningApp | undefined;
let stopping: string | undefined;

function unexpected(kind: 'rejection' | 'exception', error: unknown): void {
  try {
    const request = failCurrentRequest();
    const stops = kind === 'exception' && request === undefined;
    log.error(kind === 'rejection' ? 'unhandled rejection' : 'uncaught exception', {
      error: describeError(error),
      ...(request === undefined ? {} : { request }),
      next: stops ? 'stopping' : 'serving on',
    });
    if (!stops) return;
    if (!app || stopping) process.exit(1);
    stop('uncaught exception', 1);
  } catch {
    process.exit(1);
  }
}
process.on('unhandledRejection', (reason) => unexpected('rejection', reason));
process.on('uncaughtException', (error) => unexpected('exception', error));

function stop(reason: string, exitCode: 0 | 1): void {
  // Only the first signal stops the app. Heroku may send SIGTERM more than once while a dyno shuts down, and a
  // repeated signal must not cut short the drain of the uploads in flight (within 30 s Heroku, or the container's
  // stop timeout, sends SIGKILL anyway).
  if (stopping) {
    log.warn('already shutting down: signal ignored', { signal: reason, first: stopping });
    return;
  }
  stopping = reason;
  log.info('shutting down', { signal: reason });
  (app?.stop() ?? Promise.resolve()).then(
    () => process.exit(exitCode),
    (err) => {
      log.error('shutdown failed', { error: errorMessage(err) });
      process.exit(1);
    },
  );
}

try {
  app = await startApp(config, log);
  process.on('SIGTERM', (signal) => stop(signal, 0));
  process.on('SIGINT', (signal) => stop(signal, 0));
} catch (err) {
  // A refusal to start says why in one line each (the store distribution mode needs, a key that opens nothing).
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  log.error('could not start', { error: errorMessage(err) });
  process.exit(1);
}
