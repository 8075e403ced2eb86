/**
 * `npm run bench`: every benchmark in turn. BENCH_SIZE_MB, BENCH_ROUNDS, BENCH_MEMORY_ROUNDS and
 * BENCH_CLIP_MINUTES scale them.
 */
import { ackBench } from './ack.ts';
import { convertBench } from './convert.ts';
import { memoryBench } from './memory.ts';
import { rateLimitBench } from './rate-limits.ts';
import { relayBench } from './relay.ts';

process.stdout.write(`# Benchmarks (node ${process.version}, ${new Date().toISOString()})\n`);
await memoryBench();
await relayBench();
await convertBench();
await ackBench(100, 'sqlite');
await ackBench(100, 'redis');
await rateLimitBench('sqlite');
process.exit(0);
