import { existsSync } from 'node:fs';
import { formatResults, runDoctor } from './ops/doctor.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

const results = await runDoctor(process.env);
const failed = results.filter((r) => !r.ok).length;
process.stdout.write(
  `${formatResults(results)}\n\n${failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`}\n`,
);
process.exit(failed === 0 ? 0 : 1);
