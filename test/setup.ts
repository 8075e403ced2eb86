import { afterAll } from 'vitest';
import { dropTestPrefixes } from './helpers/redis.ts';

// Runs after each test file's own afterAll hooks (vitest runs after-hooks in reverse order of registration), when
// every app and queue the file started has stopped.
afterAll(dropTestPrefixes);
