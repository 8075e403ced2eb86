/** The in-memory store, used without Redis: it sweeps expired entries instead of keeping them all. */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/store/memory.ts';
import { waitFor } from './helpers/harness.ts';

describe('the in-memory store', () => {
  it('sweeps expired entries instead of keeping them all', async () => {
    const store = memoryStore({ sweepMs: 50 });
    for (let i = 0; i < 20_000; i++) await store.set(`job:${i}`, { i }, 10);
    expect(store.size()).toBe(20_000);
    await waitFor(() => store.size() === 0, 2000, 'the sweep');
    await store.close();
  });
});
