import { existsSync } from 'node:fs';
import { formatResults, runDoctor, summarise } from './ops/doctor.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

const results = await runDoctor(process.env);
const { line, exitCode } = summarise(results);
process.stdout.write(`${formatResults(results)}\n\n${line}\n`);
process.exit(exitCode);
