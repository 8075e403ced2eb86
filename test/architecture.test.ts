import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of src/, checked: folders depend one way. Inbound Slack and HTTP on top, the pipeline in the
 * middle, providers and helpers below; no folder imports a folder that imports it back (type imports count).
 */
const SRC = 'src';

/** Lower ranks may not import higher ones. Entry points and wiring at the top. */
const RANK: Record<string, number> = {
  'index.ts': 5,
  'doctor.ts': 5,
  'app.ts': 4,
  ops: 4,
  'assemble.ts': 4,
  listeners: 3,
  http: 3,
  home: 2.5,
  pipeline: 2,
  workspaces: 1.5,
  providers: 1,
  slack: 1,
  audio: 1,
  outputs: 1,
  metrics: 1,
  'metrics.ts': 1,
  records: 0.5,
  i18n: 0.6,
  store: 0,
  // The environment is read through each provider's own settings (src/providers/registry.ts).
  'config.ts': 1.2,
  'env.ts': 0.05,
  'log.ts': 0.8,
  'errors.ts': 0,
  'limits.ts': 0.05,
  'time.ts': 0,
  'buffers.ts': 0,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const unit = (path: string) => relative(SRC, path).split(sep)[0];

function graph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
      const from = unit(file);
      const to = unit(normalize(join(dirname(file), m[1])));
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  return edges;
}

describe('src/', () => {
  it('has a rank for every top-level folder and file', () => {
    const units = new Set(files(SRC).map(unit));
    expect([...units].filter((u) => RANK[u] === undefined)).toEqual([]);
  });

  it('depends one way: nothing imports a higher layer', () => {
    const wrong: string[] = [];
    for (const [from, tos] of graph()) {
      for (const to of tos) if (RANK[to] > RANK[from]) wrong.push(`${from} -> ${to}`);
    }
    expect(wrong).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const edges = graph();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
        else visit(next, [...path, next]);
      }
    };
    for (const node of edges.keys()) visit(node, [node]);
    expect(cycles).toEqual([]);
  });
});
