/**
 * The job state machine: its moves against a real store (each atomic, none backwards, each writing only its own
 * fields), and the two orders in which the provider's answer to an upload and its first text can reach the app.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type JobRecord, Jobs, MOVES } from '../src/records/job.ts';
import { memoryStore } from '../src/store/memory.ts';
import { durationOf, speech } from './helpers/audio.ts';
import { Harness, WORKSPACE, waitFor } from './helpers/harness.ts';
import { plantedMemo } from './helpers/memos.ts';

const DAY = 24 * 3600 * 1000;

function job(o: Partial<JobRecord> = {}): JobRecord {
  return {
    workspace: WORKSPACE,
    channel: 'C0STATES1',
    ts: '1712345678.000100',
    fileId: 'F0STATE01',
    trackingId: 'T0001_C0STATES1_1712345678.000100_F0STATE01_-_sbhidq_000000000000000000000000',
    fileName: 'memo.wav',
    state: 'queued',
    createdAt: 1,
    run: 1,
    unsure: false,
    lookUp: false,
    file: { id: 'F0STATE01' },
    ...o,
  };
}

describe('the moves', () => {
  const setUp = async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job();
    expect(await jobs.create(j)).toBe(true);
    expect(await jobs.create({ ...j, fileName: 'other.wav' })).toBe(false);
    return { jobs, j };
  };

  it('go only from the states the table allows, and a refused one changes nothing', async () => {
    const { jobs, j } = await setUp();
    expect(await jobs.apply(j, { move: 'complete' })).toBe(false);
    expect(await jobs.apply(j, { move: 'timeOut' })).toBe(false);
    expect(await jobs.apply(j, { move: 'send', run: 1, worker: 'w1', account: 'default' })).toBe(true);
    expect(await jobs.apply(j, { move: 'send', run: 1, worker: 'w2', account: 'default' })).toBe(false);
    expect(await jobs.apply(j, { move: 'accept', at: 10, durationSeconds: 3.5 })).toBe(true);
    expect(await jobs.apply(j, { move: 'fail', failure: { code: 'internal' } })).toBe(false);
    expect(await jobs.apply(j, { move: 'segment', at: 20 })).toBe(true);
    // receiving never goes back to waiting
    expect(await jobs.apply(j, { move: 'accept', at: 30 })).toBe(false);
    expect(await jobs.apply(j, { move: 'complete' })).toBe(true);
    expect(await jobs.apply(j, { move: 'segment', at: 40 })).toBe(false);
    expect(await jobs.load(WORKSPACE, j.trackingId)).toMatchObject({
      state: 'complete',
      worker: 'w1',
      acceptedAt: 10,
      durationSeconds: 3.5,
      lastSegmentAt: 20,
    });
  });

  it('every state but the first is reached by a move, and the ends lead nowhere', () => {
    const reached = new Set(Object.values(MOVES).map((m) => m.to));
    expect([...reached].sort()).toEqual([
      'complete',
      'failed',
      'queued',
      'receiving',
      'sending',
      'timed_out',
      'waiting',
    ]);
    const from = new Set<string>(Object.values(MOVES).flatMap((m) => [...m.from]));
    expect(from.has('complete')).toBe(false);
    expect(from.has('failed')).toBe(false);
  });

  it('belong to one worker and one queue entry: another run or another worker cannot move the job', async () => {
    const { jobs, j } = await setUp();
    expect(await jobs.apply(j, { move: 'take', run: 2, worker: 'w1' })).toBe(false);
    expect(await jobs.apply(j, { move: 'take', run: 1, worker: 'w1' })).toBe(true);
    expect(await jobs.apply(j, { move: 'send', run: 1, worker: 'w1', account: 'own' })).toBe(true);
    expect(await jobs.apply(j, { move: 'retry', worker: 'w2' })).toBe(false);
    expect(await jobs.apply(j, { move: 'recover', deadWorker: 'w2', run: 2 })).toBe(false);
    expect(await jobs.apply(j, { move: 'recover', deadWorker: 'w1', run: 2 })).toBe(true);
    expect(await jobs.apply(j, { move: 'send', run: 1, worker: 'w1', account: 'own' })).toBe(false);
    const now = await jobs.load(WORKSPACE, j.trackingId);
    expect(now).toMatchObject({ state: 'queued', run: 2, account: 'own' });
    expect(now?.worker).toBeUndefined();
  });

  it('racing for one state, only one wins', async () => {
    const { jobs, j } = await setUp();
    const wins = await Promise.all(
      ['a', 'b', 'c', 'd'].map((w) => jobs.apply(j, { move: 'send', run: 1, worker: w, account: 'default' })),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});

describe('the provider’s answer and its first text, in either order', () => {
  let h: Harness;
  afterEach(async () => {
    if (h) h.omicall.beforeAnswer = undefined;
    await h?.stop();
  });

  const record = (trackingId: string) => new Jobs(h.app.store, async () => DAY).load(WORKSPACE, trackingId);

  it.each([false, true])('end with every field of both, complete (Redis: %s)', async (redis) => {
    h = await Harness.start({ redis, timings: { quietMs: 300 } });
    const path = speech('wav');
    const end = durationOf(path);
    // First: OMICall calls back before it answers the upload.
    h.omicall.beforeAnswer = async (upload) => {
      const res = await h.callBack({ tracking_id: upload.trackingId, from: 0, to: end, text: 'nhanh hơn câu trả lời' });
      expect(res.status).toBe(200);
    };
    const early = h.slack.addFile({ name: 'sớm.wav', mimetype: 'audio/wav', path });
    const first = await h.share([early]);
    const firstUpload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(first.ts)));
    h.omicall.beforeAnswer = undefined;

    // Then: OMICall answers first, and calls back after.
    const late = h.slack.addFile({ name: 'muộn.wav', mimetype: 'audio/wav', path });
    const second = await h.share([late]);
    const secondUpload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(second.ts)));
    await waitFor(async () => (await record(secondUpload.trackingId ?? ''))?.state === 'waiting', 5000, 'accepted');
    await h.callBack({ tracking_id: secondUpload.trackingId, from: 0, to: end, text: 'sau câu trả lời' });

    for (const [upload, where] of [
      [firstUpload, first],
      [secondUpload, second],
    ] as const) {
      await waitFor(() => h.slack.reactionsOn(where.channel, where.ts).includes('white_check_mark'), 5000, 'complete');
      const j = await record(upload.trackingId ?? '');
      expect(j).toMatchObject({ state: 'complete', account: 'default' });
      expect(j?.acceptedAt).toEqual(expect.any(Number));
      expect(j?.lastSegmentAt).toEqual(expect.any(Number));
      expect(j?.durationSeconds).toBeCloseTo(end, 1);
    }
    expect(h.omicall.uploads).toHaveLength(2);
  });

  it('a late answer never moves a job back: one already receiving stays receiving', async () => {
    h = await Harness.start();
    const { id } = await plantedMemo(h, { fileId: 'F0LATEANS1' });
    const jobs = new Jobs(h.app.store, async () => DAY);
    await h.callBack({ tracking_id: id, from: 0, to: 1, text: 'x' });
    expect((await jobs.load(WORKSPACE, id))?.state).toBe('receiving');
    expect(await jobs.apply({ workspace: WORKSPACE, trackingId: id }, { move: 'accept', at: 1 })).toBe(false);
    expect((await jobs.load(WORKSPACE, id))?.state).toBe('receiving');
  });
});
