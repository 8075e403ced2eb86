/**
 * What is stored, module by module, on the in-memory store: every key exactly as docs/architecture.md names it, the
 * relay ledger and the heartbeats, segments' order and cost, and the job record's conditions (a stale run, a note in
 * the wrong state, a forgotten memo). The same behaviour through the whole app is in job-states and reliability-crash.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type JobRecord, Jobs } from '../src/records/job.ts';
import { HEARTBEAT_MS, HEARTBEAT_TTL_MS, Heartbeat, Ledger } from '../src/records/ledger.ts';
import { inSpokenOrder, segmentCharacters } from '../src/records/segments.ts';
import { memoLabel } from '../src/records/tracking-id.ts';
import { jobKeyParts, memoField, parseMemoField, processKeys, workspaceKeys } from '../src/store/keys.ts';
import { memoryStore } from '../src/store/memory.ts';

const MEMO = { channel: 'C0KEYS001', ts: '1712345678.000100', fileId: 'F0KEYS001' };

describe('the key schema', () => {
  it('puts every key of a workspace under ws:{workspace}:, named as the docs name it', () => {
    const k = workspaceKeys('T0001');
    expect(k.prefix).toBe('ws:T0001:');
    expect([
      k.memo(MEMO),
      k.job('TRK'),
      k.segments('TRK'),
      k.characters('TRK'),
      k.reply(MEMO),
      k.replyLock(MEMO),
      k.repliesOwed(),
      k.channelAuto('C0KEYS001'),
      k.channelJobs('C0KEYS001'),
      k.personLanguage('UALICE01'),
    ]).toEqual([
      'ws:T0001:memo:C0KEYS001:1712345678.000100:F0KEYS001',
      'ws:T0001:job:TRK',
      'ws:T0001:segments:TRK',
      'ws:T0001:characters:TRK',
      'ws:T0001:reply:C0KEYS001:1712345678.000100:F0KEYS001',
      'ws:T0001:reply-lock:C0KEYS001:1712345678.000100:F0KEYS001',
      'ws:T0001:replies-owed',
      'ws:T0001:channel:C0KEYS001:auto',
      'ws:T0001:channel:C0KEYS001:jobs',
      'ws:T0001:person:UALICE01:language',
    ]);
  });

  it('names the Home tab, deletion, usage, installation and rate-limit keys as the docs name them', () => {
    const k = workspaceKeys('T0001');
    expect([
      k.jobsPrefix,
      k.channelsPrefix,
      k.peoplePrefix,
      k.personJobs('UALICE01'),
      k.personHome('UALICE01'),
      k.homeGap('UALICE01'),
      k.fileJobs('F0KEYS001'),
      k.uploads(MEMO),
      k.deletionsOwed(),
      k.settings(),
      k.usage('2026-12'),
      k.budgetWarned('2026-12', 600),
      k.installation(),
      k.providerKey(),
      k.noKeyLine(MEMO),
      k.noKeyTold(),
      k.slackBudget('chat.update'),
      k.slackBudget('chat.postMessage', 'C0KEYS001'),
      k.slackBurst('chat.update'),
      k.slackBurst('chat.postMessage', 'C0KEYS001'),
    ]).toEqual([
      'ws:T0001:job:',
      'ws:T0001:channel:',
      'ws:T0001:person:',
      'ws:T0001:person:UALICE01:jobs',
      'ws:T0001:person:UALICE01:home',
      'ws:T0001:person:UALICE01:home-gap',
      'ws:T0001:file:F0KEYS001:jobs',
      'ws:T0001:uploads:C0KEYS001:1712345678.000100:F0KEYS001',
      'ws:T0001:deletions-owed',
      'ws:T0001:settings',
      'ws:T0001:usage:2026-12',
      'ws:T0001:usage:2026-12:warned:600',
      'ws:T0001:installation',
      'ws:T0001:provider-key',
      'ws:T0001:no-key-line:C0KEYS001:1712345678.000100:F0KEYS001',
      'ws:T0001:no-key-told',
      'ws:T0001:slack-budget:chat.update',
      'ws:T0001:slack-budget:chat.postMessage:C0KEYS001',
      'ws:T0001:slack-burst:chat.update',
      'ws:T0001:slack-burst:chat.postMessage:C0KEYS001',
    ]);
  });

  it('tells the lists of memos among channel and person keys, and reads a memo field back', () => {
    const k = workspaceKeys('T0001');
    expect(k.isMemoList(k.channelJobs('C1'))).toBe(true);
    expect(k.isMemoList(k.personJobs('U1'))).toBe(true);
    expect(k.isMemoList(k.channelAuto('C1'))).toBe(false);
    expect(k.isMemoList(k.personLanguage('U1'))).toBe(false);
    expect(parseMemoField(memoField(MEMO))).toEqual(MEMO);
    for (const broken of ['', 'C1', 'C1:1.2', ':1.2:F1', 'C1::F1', 'C1:1.2:'])
      expect(parseMemoField(broken)).toBeUndefined();
  });

  it('keeps the process keys outside every workspace', () => {
    expect([
      processKeys.worker('i-1'),
      processKeys.relays(),
      processKeys.deadlines(),
      processKeys.workspaces(),
      processKeys.installations(),
      processKeys.providerKeys(),
      processKeys.uninstalls(),
      processKeys.oauthState('N0NCE'),
    ]).toEqual([
      'worker:i-1',
      'relays',
      'deadlines',
      'workspaces',
      'installations',
      'provider-keys',
      'uninstalls',
      'oauth-state:N0NCE',
    ]);
  });

  it('reads a job key back into its workspace and tracking ID, and nothing else', () => {
    expect(jobKeyParts('ws:E0ORG01:job:TRK_1')).toEqual({ workspace: 'E0ORG01', trackingId: 'TRK_1' });
    for (const other of ['xws:T1:job:TRK', 'ws:T1:job:TRK:more', 'ws:T1:jobs:TRK', 'ws::job:TRK', 'ws:T1:job:']) {
      expect(jobKeyParts(other)).toBeUndefined();
    }
  });

  it('labels a memo by its workspace, channel, message and file', () => {
    expect(memoLabel({ workspace: 'T0001', ...MEMO })).toBe('T0001/C0KEYS001/1712345678.000100/F0KEYS001');
  });
});

describe('the relay ledger', () => {
  it('holds each relay with its process until it leaves, per workspace', async () => {
    const store = memoryStore();
    const ledger = new Ledger(store);
    await ledger.enter({ workspace: 'T0001', trackingId: 'A', since: 5 });
    await ledger.enter({ workspace: 'T0001', trackingId: 'B', worker: 'w1', since: 6 });
    await ledger.enter({ workspace: 'T0002', trackingId: 'C', worker: 'w2', since: 7 });
    expect(await store.record('relays')).toEqual({
      'ws:T0001:job:A': { worker: null, since: 5 },
      'ws:T0001:job:B': { worker: 'w1', since: 6 },
      'ws:T0002:job:C': { worker: 'w2', since: 7 },
    });
    expect(await ledger.entries()).toEqual([
      { workspace: 'T0001', trackingId: 'A', since: 5 },
      { workspace: 'T0001', trackingId: 'B', worker: 'w1', since: 6 },
      { workspace: 'T0002', trackingId: 'C', worker: 'w2', since: 7 },
    ]);
    await ledger.leave({ workspace: 'T0001', trackingId: 'B' });
    await ledger.forgetWorkspace('T0002');
    expect(await ledger.entries()).toEqual([{ workspace: 'T0001', trackingId: 'A', since: 5 }]);
    await ledger.forgetWorkspace('T0009');
    expect(await ledger.entries()).toHaveLength(1);
  });

  it('skips what is not a relay of a workspace', async () => {
    const store = memoryStore();
    await store.update('relays', { nonsense: { worker: null, since: 1 } });
    expect(await new Ledger(store).entries()).toEqual([]);
  });
});

describe('heartbeats', () => {
  afterEach(() => vi.useRealTimers());

  it('say a process is alive while it beats, for HEARTBEAT_TTL_MS after its last beat, and not once it stopped', async () => {
    vi.useFakeTimers();
    const store = memoryStore();
    const errors: unknown[] = [];
    const heart = new Heartbeat(store, 'i-1');
    heart.start((err) => errors.push(err));
    const other = new Heartbeat(store, 'i-2');
    await vi.advanceTimersByTimeAsync(0);
    expect(await other.alive('i-1')).toBe(true);
    expect(await other.alive('i-9')).toBe(false);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_TTL_MS + HEARTBEAT_MS);
    expect(await other.alive('i-1')).toBe(true);
    await heart.stop();
    expect(await other.alive('i-1')).toBe(false);
    // A stopped heart beats no more.
    await vi.advanceTimersByTimeAsync(2 * HEARTBEAT_MS);
    expect(await other.alive('i-1')).toBe(false);
    expect(errors).toEqual([]);
  });

  it('report a failed beat instead of throwing', async () => {
    const store = memoryStore();
    store.set = async () => {
      throw new Error('store gone');
    };
    const errors: unknown[] = [];
    const heart = new Heartbeat(store, 'i-1');
    heart.start((err) => errors.push(err));
    await new Promise((r) => setTimeout(r, 10));
    await heart.stop();
    expect(errors).toHaveLength(1);
  });
});

describe('segments', () => {
  it('are in spoken order: by start, then by end', () => {
    const s = (from: number, to: number) => ({ from, to, text: `${from}-${to}` });
    expect(inSpokenOrder([s(5, 9), s(1, 4), s(5, 6), s(0, 2)]).map((x) => x.text)).toEqual([
      '0-2',
      '1-4',
      '5-6',
      '5-9',
    ]);
  });

  it('cost their text and every timed word with the space after it', () => {
    expect(segmentCharacters({ from: 0, to: 1, text: 'xin chào' })).toBe(8);
    const words = [
      { text: 'xin', from: 0, to: 0.5 },
      { text: 'chào', from: 0.5, to: 1 },
    ];
    expect(segmentCharacters({ from: 0, to: 1, text: 'xin chào', words })).toBe(8 + 4 + 5);
  });
});

describe('the job record', () => {
  const DAY = 24 * 3600 * 1000;
  const job = (o: Partial<JobRecord> = {}): JobRecord => ({
    workspace: 'T0001',
    ...MEMO,
    trackingId: 'T0001_C0KEYS001_1712345678.000100_F0KEYS001_-_sbhidq_0',
    fileName: 'memo.wav',
    state: 'queued',
    createdAt: 1,
    run: 2,
    unsure: false,
    lookUp: false,
    file: { id: MEMO.fileId },
    ...o,
  });

  it('is taken and sent only for its current run', async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job();
    await jobs.create(j);
    expect(await jobs.apply(j, { move: 'take', run: 1, worker: 'w1' })).toBe(false);
    expect(await jobs.apply(j, { move: 'send', run: 1, worker: 'w1', account: 'own' })).toBe(false);
    expect((await jobs.load('T0001', j.trackingId))?.worker).toBeUndefined();
    expect(await jobs.apply(j, { move: 'take', run: 2, worker: 'w1' })).toBe(true);
    expect(await jobs.apply(j, { move: 'send', run: 2, worker: 'w1', account: 'own' })).toBe(true);
    expect(await jobs.load('T0001', j.trackingId)).toMatchObject({ state: 'sending', worker: 'w1', account: 'own' });
  });

  /** A job taken and being sent by worker w1. */
  async function sending(jobs: Jobs, j: JobRecord) {
    await jobs.apply(j, { move: 'take', run: 2, worker: 'w1' });
    await jobs.apply(j, { move: 'send', run: 2, worker: 'w1', account: 'own' });
  }

  it('is put back in line only by the worker that holds it', async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job();
    await jobs.create(j);
    await sending(jobs, j);
    expect(await jobs.apply(j, { move: 'retry', worker: 'w2' })).toBe(false);
    expect(await jobs.load('T0001', j.trackingId)).toMatchObject({ state: 'sending', worker: 'w1' });
    expect(await jobs.apply(j, { move: 'retry', worker: 'w1' })).toBe(true);
    const back = await jobs.load('T0001', j.trackingId);
    expect(back?.state).toBe('queued');
    expect(back?.worker).toBeUndefined();
  });

  it('is billed, or the bill taken back, only while it is being sent', async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job();
    await jobs.create(j);
    const billed = { month: '2026-12', seconds: 42 };
    expect(await jobs.bill(j, billed)).toBe(false);
    expect((await jobs.load('T0001', j.trackingId))?.billed).toBeUndefined();
    await sending(jobs, j);
    expect(await jobs.bill(j, billed)).toBe(true);
    expect((await jobs.load('T0001', j.trackingId))?.billed).toEqual(billed);
    expect(await jobs.bill(j, null)).toBe(true);
    expect((await jobs.load('T0001', j.trackingId))?.billed).toBeUndefined();
  });

  it('keeps a length it knows when an answer brings none', async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job({ durationSeconds: 42 });
    await jobs.create(j);
    expect(await jobs.apply(j, { move: 'accept', at: 10 })).toBe(true);
    expect(await jobs.load('T0001', j.trackingId)).toMatchObject({
      state: 'waiting',
      acceptedAt: 10,
      durationSeconds: 42,
    });
  });

  it('takes a note only in the states it names', async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const j = job();
    await jobs.create(j);
    expect(await jobs.note(j, { unsure: true }, ['sending'])).toBe(false);
    expect((await jobs.load('T0001', j.trackingId))?.unsure).toBe(false);
    expect(await jobs.note(j, { unsure: true }, ['queued'])).toBe(true);
    expect((await jobs.load('T0001', j.trackingId))?.unsure).toBe(true);
  });

  it("is the memo's current attempt until a new attempt replaces it", async () => {
    const jobs = new Jobs(memoryStore(), async () => DAY);
    const memo = { workspace: 'T0001', ...MEMO };
    const first = job();
    const second = job({ trackingId: `${first.trackingId.slice(0, -1)}1`, run: 3 });
    expect(await jobs.claim(memo, first.trackingId)).toBe(true);
    await jobs.create(first);
    expect(await jobs.ifCurrent('T0001', first.trackingId)).toMatchObject({ trackingId: first.trackingId });
    expect(await jobs.renew(memo, first.trackingId, second.trackingId)).toBe(true);
    await jobs.create(second);
    expect(await jobs.ifCurrent('T0001', first.trackingId)).toBeUndefined();
    expect(await jobs.ifCurrent('T0001', second.trackingId)).toMatchObject({ trackingId: second.trackingId });
  });

  it('forgets a memo: its claim and its attempt', async () => {
    const store = memoryStore();
    const jobs = new Jobs(store, async () => DAY);
    const j = job();
    expect(await jobs.claim({ workspace: 'T0001', ...MEMO }, j.trackingId)).toBe(true);
    await jobs.create(j);
    await jobs.forget(j);
    expect(await jobs.current({ workspace: 'T0001', ...MEMO })).toBeUndefined();
    expect(await jobs.load('T0001', j.trackingId)).toBeUndefined();
    expect(await store.keysWith('ws:T0001:')).toEqual([]);
  });
});
