/**
 * A diagnostic to preload into the app: `BENCH_NODE_FLAGS="--import ./bench/memory-probe.ts" node bench/memory.ts`.
 * Every 100 ms it appends, to MEMORY_PROBE_FILE or /tmp/omicall-memory-probe-<pid>.tsv, the process's resident
 * memory next to V8's view of it: JS heap (total, used), external memory and the part of it held by
 * ArrayBuffers. RSS that none of these explain is malloc's (freed memory kept by its arenas).
 */
import { appendFileSync, readFileSync } from 'node:fs';

const file = process.env.MEMORY_PROBE_FILE ?? `/tmp/omicall-memory-probe-${process.pid}.tsv`;
const started = Date.now();
const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
appendFileSync(file, 'ms\trss\theapTotal\theapUsed\texternal\tarrayBuffers\n');
setInterval(() => {
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  const m = process.memoryUsage();
  appendFileSync(
    file,
    `${Date.now() - started}\t${mb(rssKb * 1024)}\t${mb(m.heapTotal)}\t${mb(m.heapUsed)}\t${mb(m.external)}\t${mb(m.arrayBuffers)}\n`,
  );
}, 100).unref();
