import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: database 9 of the local server unless TEST_REDIS_URL says otherwise. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9';

const used = new Set<string>();

/**
 * A key prefix no other test and no other run shares (`label-<uuid>:`). Every key under it is deleted once the test
 * file's own hooks have run (test/setup.ts), so a run leaves nothing behind in Redis, whichever way its tests ended,
 * and a run beside it (another clone, a mutation run) keeps its keys.
 */
export function testPrefix(label = 'test'): string {
  const prefix = `${label}-${randomUUID()}:`;
  used.add(prefix);
  return prefix;
}

/** Deletes every key under the prefixes this test file took (BullMQ's are under them too). */
export async function dropTestPrefixes(): Promise<void> {
  if (used.size === 0) return;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    for (const prefix of used) {
      // The prefix is ours (letters, digits, `-` and `:`), so it holds no glob character to escape.
      for await (const batch of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
        if (batch.length > 0) await client.unlink(...batch);
      }
      used.delete(prefix);
    }
  } finally {
    client.disconnect();
  }
}
