/**
 * `npm run sandbox`: a real memo transcribed into its thread against the stand-ins, saying where its text comes from.
 */
import { describe, expect, it } from 'vitest';
import { runNode } from './helpers/process.ts';

describe('npm run sandbox', () => {
  it('shows a real memo transcribed into its thread, and says the text comes from the stand-in', async () => {
    const run = await runNode(['sandbox/run.ts'], {}, 60_000);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('the transcript below comes from the OMICall stand-in');
    expect(run.stdout).toMatch(/OMICall \(stand-in\) received F\w+\.m4a/);
    expect(run.stdout).toMatch(/│ \[0:0\d\] Chào cả nhà, mình vừa gặp khách hàng xong\./);
    expect(run.stdout).toContain('reactions: :white_check_mark:');
  });
});
