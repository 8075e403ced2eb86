import { existsSync } from 'node:fs';
import { describeError } from './errors.ts';
import { doctorScrubber, formatResults, runDoctor, summarise } from './ops/doctor.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

// Everything printed, a failure of doctor itself included, is scrubbed of the configuration's secrets.
const scrub = doctorScrubber(process.env);
try {
  const results = await runDoctor(process.env);
  const { line, exitCode } = summarise(results);
  process.stdout.write(scrub(`${formatResults(results)}\n\n${line}\n`));
  process.exit(exitCode);
} catch (err) {
  process.stdout.write(scrub(`✗ doctor could not finish: ${describeError(err)}\n`));
  process.exit(1);
}
