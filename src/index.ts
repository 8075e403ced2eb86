import { existsSync } from 'node:fs';
import { startApp } from './app.ts';
import { type Config, configSecrets, loadConfig } from './config.ts';
import { ConfigError, errorMessage } from './errors.ts';
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
  secrets: configSecrets(config),
});

try {
  const app = await startApp(config, log);
  let stopping: NodeJS.Signals | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    // Only the first signal stops the app. Heroku may send SIGTERM more than once while a dyno shuts down, and a
    // repeated signal must not cut short the drain of the uploads in flight (within 30 s Heroku, or the
    // container's stop timeout, sends SIGKILL anyway).
    if (stopping) {
      log.warn('already shutting down: signal ignored', { signal, first: stopping });
      return;
    }
    stopping = signal;
    log.info('shutting down', { signal });
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { error: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (err) {
  // A refusal to start says why in one line each (the store distribution mode needs, a key that opens nothing).
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  log.error('could not start', { error: errorMessage(err) });
  process.exit(1);
}
