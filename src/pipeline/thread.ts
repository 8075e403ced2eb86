import { createHash, randomUUID } from 'node:crypto';
import type { Lang } from '../i18n/index.ts';
import { LIMITS, type Timings } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { type JobRecord, type Jobs, keptFor } from '../records/job.ts';
import type { Heartbeat } from '../records/ledger.ts';
import type { Segment, Segments } from '../records/segments.ts';
import { type MemoRef, replyThreadTs } from '../records/tracking-id.ts';
import { retryAfterOf } from '../slack/budget.ts';
import { slackError, slackRefused } from '../slack/errors.ts';
import type { Store } from '../store/index.ts';
import { type MemoId, memoField, parseMemoField, workspaceKeys } from '../store/keys.ts';
import type { WorkspaceSlack, Workspaces } from '../workspaces/index.ts';
import type { Foreground } from './foreground.ts';
import { type LaneKey, Lanes, type Turn, type Urgency } from './lanes.ts';
import { type ReplyView, renderReply, type SlackMessage } from './render.ts';

const REACTIONS: Record<ReplyView['kind'] | 'complete', string> = {
  queued: 'hourglass_flowing_sand',
  sending: 'hourglass_flowing_sand',
  waiting: 'hourglass_flowing_sand',
  transcript: 'memo',
  complete: 'white_check_mark',
  failed: 'warning',
  timed_out: 'warning',
};

/** What the thread shows for one shared file (across attempts); written only under the memo's reply lock. */
export interface ReplyRecord {
  fileName: string;
  /** The thread replies that show this file (more than one for long transcripts). */
  replyTs: string[];
  /** A digest of what each reply last showed, to skip updates that change nothing. */
  shown: string[];
  /** The reaction this file put on the memo. */
  reaction?: string;
  /** Reactions this file put on the memo before, still to be taken off. */
  stale?: string[];
  /** The reply being posted: set before `chat.postMessage`, cleared once its ts is saved. */
  posting?: number;
}

/** The metadata on each reply, so that one a killed process posted can be found again. */
const REPLY_EVENT = 'transcript_reply';

export interface ReplyWriterOptions {
  store: Store;
  jobs: Jobs;
  segments: Segments;
  workspaces: Workspaces;
  heartbeat: Heartbeat;
  log: Logger;
  metrics: Metrics;
  /** The language of a workspace's threads (its admins' setting, else APP_LANGUAGE). */
  langOf: (workspace: string) => Promise<Lang>;
  /** The provider's name, as users read it. */
  provider: string;
  /** This process: a reply lock names its owner, so that a dead owner's lock can be taken over. */
  instanceId: string;
  timings: Pick<Timings, 'replyGapMs' | 'replyLockRetryMs' | 'replyLockTtlMs' | 'repliesOwedSweepMs'>;
  /** Writes wait while Slack's requests are being answered. */
  foreground?: Foreground;
}

/** A memo whose thread this process keeps in step. */
interface Memo {
  key: string;
  ref: MemoRef;
  /** When the oldest change not yet shown arrived through a callback, for the callback → update metric. */
  callbackAt?: number;
  /** A look at what the thread needs is under way; `again`: another change came meanwhile. */
  looking: boolean;
  again: boolean;
  /** By method: calls that failed in a row without an answer (unreachable, 5xx, a time-out), for the back-off. */
  failures: Map<string, number>;
  /** The memo's looks and calls, one at a time in this process; the store's reply lock keeps other instances out. */
  chain: Promise<unknown>;
  /** Looks and calls in the chain not yet done. */
  pending: number;
}

/** What the thread should show for a memo, beside what it shows. */
interface MemoState {
  job: JobRecord;
  slack: WorkspaceSlack;
  reply: ReplyRecord;
  messages: SlackMessage[];
  digests: string[];
  reaction: string;
  /** Nothing follows it but a late segment: a complete transcript, a failure, a time-out. */
  final: boolean;
  ttlMs: number;
}

/** One call the thread needs, on one of the writer's four methods. */
type Call =
  | { method: 'chat.postMessage' | 'chat.update'; part: number }
  | { method: 'reactions.add' | 'reactions.remove'; name: string };

const METHODS = ['chat.postMessage', 'chat.update', 'reactions.add', 'reactions.remove'] as const;

/** A turn that did not get its call through: its lane waits (`busy`), or the memo does (`later`). */
type Held = Exclude<Turn, { kind: 'done' }>;

/**
 * Keeps each file's thread reply (and the memo's reaction) in step with its job and segments: this is where a
 * result lands in Slack. A change is first noted in the store as owed (`replies-owed`), so that a reply a process
 * could not write before it died is written by the next one. Then each call the thread needs (post, edit, react,
 * take a reaction off) waits in its method's lane (src/pipeline/lanes.ts) for the workspace's budget with Slack
 * (src/slack/budget.ts): first replies before final states before the states in between, which are merged into the
 * next call or skipped when the budget is short. Every call renders the memo's latest state, and one memo's calls on
 * one lane stay `replyGapMs` apart, changes in between gathered. Nothing is given up after some number of tries: a
 * call Slack did not answer is made again after a back-off, and what is still owed when the process stops is written
 * by the next. A lock in the store, with an owner token and renewed while writing, keeps two instances from writing
 * one reply.
 */
export class ReplyWriter {
  readonly #o: ReplyWriterOptions;
  readonly #memos = new Map<string, Memo>();
  readonly #lanes: Lanes;
  #idle: (() => void)[] = [];
  #changes = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: ReplyWriterOptions) {
    this.#o = options;
    this.#warn = onceIn(10_000, options.log);
    this.#lanes = new Lanes({
      turn: (memo, lane) => this.#turn(memo, lane),
      gapMs: options.timings.replyGapMs,
      onIdle: () => this.#settled(),
      onLeave: (memo) => this.#forget(memo),
    });
  }

  /**
   * Shows the memo's current state in its thread. Resolves once the change is noted as owed (the write itself
   * follows). `callbackAt`: the change came with a callback then.
   */
  async refresh(ref: MemoRef, callbackAt?: number): Promise<void> {
    const change = `${this.#o.instanceId}:${++this.#changes}`;
    try {
      await this.#o.store.update(workspaceKeys(ref.workspace).repliesOwed(), { [memoField(ref)]: change });
    } catch (err) {
      this.#warn('could not note a reply change', { error: slackError(err) });
    }
    this.#look(ref, callbackAt);
  }

  /** Writes the replies owed in every workspace now, and from then on every `repliesOwedSweepMs`. */
  start(): void {
    const sweep = () =>
      void this.#writeOwed().catch((err: unknown) =>
        this.#warn('replies owed: could not look', { error: slackError(err) }),
      );
    sweep();
    this.#sweep = setInterval(sweep, this.#o.timings.repliesOwedSweepMs);
    this.#sweep.unref();
  }

  /** Stops looking for replies owed; the writes in line go on (`close` ends them). */
  stop(): void {
    clearInterval(this.#sweep);
  }

  /** Stops writing: what is not written yet stays owed in the store, for the next process. */
  close(): void {
    this.stop();
    this.#closed = true;
    this.#lanes.stop();
  }

  /** Resolves when every change has been written. */
  idle(): Promise<void> {
    return this.#busy() ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  async #writeOwed(): Promise<void> {
    for (const workspace of await this.#o.workspaces.list()) {
      const owed = await this.#o.store.record<Record<string, string>>(workspaceKeys(workspace).repliesOwed());
      for (const field of Object.keys(owed ?? {})) {
        const memo = parseMemoField(field);
        if (memo) this.#look({ workspace, ...memo });
      }
    }
  }

  #busy(): boolean {
    return this.#lanes.busy() || [...this.#memos.values()].some((m) => m.looking);
  }

  #settled(): void {
    if (!this.#busy()) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Forgets a memo this process has nothing left to do for (its next change makes it anew). */
  #forget(key: string): void {
    const m = this.#memos.get(key);
    if (m && !m.looking && m.pending === 0 && !this.#lanes.holds(key)) this.#memos.delete(key);
  }

  #memo(ref: MemoRef): Memo {
    const key = `${ref.workspace}/${memoField(ref)}`;
    let m = this.#memos.get(key);
    if (!m) {
      const { workspace, channel, ts, fileId } = ref;
      m = {
        key,
        ref: { workspace, channel, ts, fileId },
        looking: false,
        again: false,
        failures: new Map(),
        chain: Promise.resolve(),
        pending: 0,
      };
      this.#memos.set(key, m);
    }
    return m;
  }

  /** Runs one look or one call of the memo's after the ones before it, in this process. */
  #exclusive<T>(m: Memo, work: () => Promise<T>): Promise<T> {
    m.pending += 1;
    const run = m.chain.then(work, work).finally(() => {
      m.pending -= 1;
    });
    m.chain = run.catch(() => undefined);
    return run;
  }

  /** Looks at what the memo's thread needs and puts each call in its lane; once more if a change came meanwhile. */
  #look(ref: MemoRef, callbackAt?: number): void {
    if (this.#closed) return;
    const m = this.#memo(ref);
    if (callbackAt !== undefined) m.callbackAt = Math.min(m.callbackAt ?? callbackAt, callbackAt);
    if (m.looking) {
      m.again = true;
      return;
    }
    m.looking = true;
    void this.#exclusive(m, async () => {
      // Looking reads the store: Slack's requests, being answered, go first.
      await this.#o.foreground?.yield();
      do {
        m.again = false;
        try {
          // The change this look covers: one noted after it stays owed for the next.
          const change = await this.#owedChange(m.ref);
          await this.#plan(m, await this.#state(m.ref), change);
        } catch (err) {
          // The store could not be reached: the change stays owed, and the next sweep looks again.
          this.#warn('could not look at a thread reply', { error: slackError(err) });
        }
      } while (m.again && !this.#closed);
    }).finally(() => {
      m.looking = false;
      this.#forget(m.key);
      this.#settled();
    });
  }

  /** Puts the calls the thread still needs in line; when it needs none, the memo owes nothing more. */
  async #plan(m: Memo, state: MemoState | undefined, change: string | undefined): Promise<void> {
    const calls = state ? METHODS.flatMap((method) => nextCall(state, method) ?? []) : [];
    for (const call of calls) {
      const channel = call.method === 'chat.postMessage' ? { channel: m.ref.channel } : {};
      const urgency = state ? urgencyOf(state, call) : 'intermediate';
      this.#lanes.want({ workspace: m.ref.workspace, method: call.method, ...channel }, m.key, urgency);
    }
    if (calls.length === 0 && change) {
      const field = memoField(m.ref);
      const owed = workspaceKeys(m.ref.workspace).repliesOwed();
      await this.#o.store.update(owed, { [field]: null }, { when: { [field]: [change] } });
    }
  }

  async #owedChange(ref: MemoRef): Promise<string | undefined> {
    return (await this.#o.store.record<Record<string, string>>(workspaceKeys(ref.workspace).repliesOwed()))?.[
      memoField(ref)
    ];
  }

  /** A lane's turn for a memo: its next call on the lane's method, under the memo's reply lock. */
  async #turn(key: string, lane: LaneKey): Promise<Turn> {
    // A memo stays in #memos while a lane holds it (#forget), so every turn finds its memo.
    const m = this.#memos.get(key);
    const method = METHODS.find((known) => known === lane.method);
    if (!m || !method) return { kind: 'done', called: false };
    return this.#exclusive(m, async () => {
      if (this.#closed) return { kind: 'later', retryInMs: this.#o.timings.replyGapMs };
      await this.#o.foreground?.yield();
      let turn: Turn = { kind: 'done', called: false };
      try {
        const ran = await this.#locked(m.ref, async () => {
          turn = await this.#call(m, method);
        });
        return ran ? turn : { kind: 'later', retryInMs: this.#o.timings.replyLockRetryMs };
      } catch (err) {
        // The store could not be reached: the change stays owed; this memo tries again after a back-off.
        this.#warn('could not update the thread reply', { memo: key, error: slackError(err) });
        return { kind: 'later', retryInMs: backOff(m, method) };
      }
    });
  }

  /** Makes the memo's next call on `method`, if its thread needs one and the budget allows it now. */
  async #call(m: Memo, method: (typeof METHODS)[number]): Promise<Turn> {
    // The callback this call shows, if it writes the reply: a callback that comes meanwhile waits for the next.
    const callbackAt = m.callbackAt;
    m.callbackAt = undefined;
    const turn = await this.#callWith(m, method, callbackAt);
    if (callbackAt !== undefined && !(turn.kind === 'done' && turn.called && isMessage(method))) {
      m.callbackAt = Math.min(m.callbackAt ?? callbackAt, callbackAt);
    }
    return turn;
  }

  async #callWith(m: Memo, method: (typeof METHODS)[number], callbackAt: number | undefined): Promise<Turn> {
    const change = await this.#owedChange(m.ref);
    const state = await this.#state(m.ref);
    const call = state && nextCall(state, method);
    if (!state || !call) {
      await this.#plan(m, state, change);
      return { kind: 'done', called: false };
    }
    const { slack, job, reply } = state;
    if (call.method === 'chat.postMessage' && reply.posting === call.part && !reply.replyTs[call.part]) {
      // A process killed between posting this reply and saving its ts left `posting`: it may be in the thread.
      const found = await this.#findPosted(slack, job, call.part);
      if (found.kind === 'busy') return { kind: 'later', retryInMs: found.retryInMs };
      if (found.ts) {
        reply.replyTs[call.part] = found.ts;
        delete reply.posting;
        await this.#save(state);
        await this.#plan(m, state, change);
        return { kind: 'done', called: false };
      }
    }
    // The budget counts chat.postMessage per channel, as Slack does, and the other methods per workspace.
    const grant = await slack.budget.take(method, job.channel);
    if (!grant.ok) return { kind: 'busy', retryInMs: grant.retryInMs };
    const held = await this.#make(m, state, call, callbackAt);
    if (held) return held;
    m.failures.delete(method);
    await this.#save(state);
    await this.#plan(m, state, change);
    return { kind: 'done', called: true };
  }

  /**
   * The Slack call itself, and what it changes in the reply's record (saved by the caller). Undefined once the call
   * is done with (made, or refused for good); else how long its lane or the memo waits.
   */
  async #make(m: Memo, state: MemoState, call: Call, callbackAt: number | undefined): Promise<Held | undefined> {
    const { slack, job, reply } = state;
    try {
      switch (call.method) {
        case 'chat.postMessage':
        case 'chat.update':
          await this.#show(state, call.method, call.part);
          if (callbackAt !== undefined)
            this.#o.metrics.callbackToUpdateSeconds.observe((Date.now() - callbackAt) / 1000);
          this.#o.log.info('posted', { trackingId: job.trackingId, state: job.state, replies: reply.replyTs.length });
          break;
        case 'reactions.add':
          await slack.direct.reactions
            .add({ channel: job.channel, timestamp: job.ts, name: call.name })
            .catch(unless('already_reacted'));
          reacted(reply, call.name);
          break;
        case 'reactions.remove':
          await slack.direct.reactions
            .remove({ channel: job.channel, timestamp: job.ts, name: call.name })
            .catch(unless('no_reaction'));
          reply.stale = reply.stale?.filter((name) => name !== call.name);
          break;
      }
      return undefined;
    } catch (err) {
      return this.#failed(m, state, call, err);
    }
  }

  /**
   * A call that did not go through. A 429 pauses its method for everyone (Slack's Retry-After). Slack's refusal
   * (`ok: false`) is final for what was asked: logged, and not asked again until the memo changes. Anything else
   * (Slack unreachable, 5xx, a time-out) is tried again after a back-off, for as long as it takes.
   */
  async #failed(m: Memo, state: MemoState, call: Call, err: unknown): Promise<Held | undefined> {
    const { slack, job, reply } = state;
    const retryAfter = retryAfterOf(err);
    if (
      call.method === 'chat.postMessage' &&
      reply.posting === call.part &&
      (slackRefused(err) || retryAfter !== undefined)
    ) {
      // Slack answered, so nothing was posted: nothing to look for later.
      delete reply.posting;
      await this.#save(state);
    }
    if (retryAfter !== undefined) {
      await slack.budget.pause(call.method, job.channel, retryAfter);
      return { kind: 'busy', retryInMs: retryAfter * 1000 };
    }
    const error = slackError(err);
    if (!slackRefused(err)) {
      this.#warn('Slack did not take a thread reply; trying again', { memo: m.key, method: call.method, error });
      return { kind: 'later', retryInMs: backOff(m, call.method) };
    }
    switch (call.method) {
      case 'chat.postMessage':
      case 'chat.update':
        this.#o.log.error('could not update the thread reply', { memo: m.key, error });
        reply.shown[call.part] = state.digests[call.part];
        break;
      case 'reactions.add':
        this.#o.log.warn('could not add a reaction', { error });
        reacted(reply, call.name);
        break;
      case 'reactions.remove':
        this.#o.log.warn('could not remove a reaction', { error });
        reply.stale = reply.stale?.filter((name) => name !== call.name);
        break;
    }
    return undefined;
  }

  /**
   * Runs write under the memo's reply lock; false when another live instance holds it. The lock carries a token of
   * its own, is renewed while the write lasts, and is released only by its owner, so that a slow writer's lock never
   * expires under it and is never deleted by another.
   */
  async #locked(ref: MemoRef, write: () => Promise<void>): Promise<boolean> {
    const { store, timings } = this.#o;
    const lock = workspaceKeys(ref.workspace).replyLock(ref);
    const owner = `${this.#o.instanceId}/${randomUUID()}`;
    if (!(await store.claim(lock, owner, timings.replyLockTtlMs)) && !(await this.#takeOver(lock, owner))) return false;
    const renew = setInterval(
      () => void store.extend(lock, owner, timings.replyLockTtlMs).catch(() => {}),
      timings.replyLockTtlMs / 3,
    );
    try {
      await write();
      return true;
    } finally {
      clearInterval(renew);
      await store.release(lock, owner).catch(() => {});
    }
  }

  /**
   * Takes a lock over from a process that died holding it (its heartbeat expired), or that is this process and
   * could not release it (the store went away mid-write): such a lock protects nothing.
   */
  async #takeOver(lock: string, owner: string): Promise<boolean> {
    const { store, timings } = this.#o;
    const held = await store.peek(lock);
    const holder = held?.split('/')[0];
    if (!held || !holder) return false;
    if (holder !== this.#o.instanceId && (await this.#o.heartbeat.alive(holder))) return false;
    this.#o.log.info('reply lock taken over from a process that died', { lock });
    return store.swap(lock, held, owner, timings.replyLockTtlMs);
  }

  async #currentJob(memo: MemoId & { workspace: string }): Promise<JobRecord | undefined> {
    const trackingId = await this.#o.store.peek(workspaceKeys(memo.workspace).memo(memo));
    return trackingId ? this.#o.jobs.load(memo.workspace, trackingId) : undefined;
  }

  /**
   * What the memo's thread shows and should show; undefined when there is nothing to show: no attempt, the app no
   * longer installed, or a file that may not be audio (nothing is shown until its first bytes say it is).
   */
  async #state(ref: MemoRef): Promise<MemoState | undefined> {
    const job = await this.#currentJob(ref);
    const slack = job && !job.unsure ? await this.#o.workspaces.slack(ref.workspace) : undefined;
    if (!job || !slack) return undefined;
    const [segments, saved, retentionMs, lang] = await Promise.all([
      this.#o.segments.load(ref.workspace, job.trackingId),
      this.#o.store.get<ReplyRecord>(workspaceKeys(ref.workspace).reply(ref)),
      this.#o.workspaces.retentionMs(ref.workspace),
      this.#o.langOf(ref.workspace),
    ]);
    const reply = saved ?? { fileName: job.fileName, replyTs: [], shown: [] };
    const view = viewOf(job, segments);
    const messages = renderReply(reply.fileName, view, { lang, provider: this.#o.provider });
    const complete = view.kind === 'transcript' && view.complete;
    return {
      job,
      slack,
      reply,
      messages,
      digests: messages.map(digestOf),
      reaction: complete ? REACTIONS.complete : REACTIONS[view.kind],
      final: complete || view.kind === 'failed' || view.kind === 'timed_out',
      ttlMs: keptFor(job, retentionMs),
    };
  }

  async #save(state: MemoState): Promise<void> {
    await this.#o.store.set(workspaceKeys(state.job.workspace).reply(state.job), state.reply, state.ttlMs);
  }

  /** Posts or edits the part-th reply with what it should show. */
  async #show(state: MemoState, method: 'chat.postMessage' | 'chat.update', part: number): Promise<void> {
    const { slack, job, reply } = state;
    const message = state.messages[part];
    const ts = reply.replyTs[part];
    if (method === 'chat.update' && ts) {
      await slack.direct.chat.update({ channel: job.channel, ts, text: message.text, blocks: message.blocks });
    } else {
      // Saved before posting, so that a process killed before it saves the ts looks for the reply, not posts twice.
      reply.posting = part;
      await this.#save(state);
      const posted = await slack.direct.chat.postMessage({
        channel: job.channel,
        thread_ts: replyThreadTs(job),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: REPLY_EVENT, event_payload: { memo: memoField(job), part } },
      });
      if (typeof posted.ts === 'string') reply.replyTs[part] = posted.ts;
      delete reply.posting;
    }
    reply.shown[part] = state.digests[part];
  }

  /**
   * Deletes what a memo's thread shows (its replies, the reactions on the memo) and its reply record, under the memo's
   * reply lock, so that no write is half done meanwhile; the memo's current attempt must be gone already, so that no
   * write follows (a call still in line finds nothing to show). False when the lock stayed taken or Slack could not
   * be reached: to be tried again.
   */
  async withdraw(ref: MemoRef): Promise<boolean> {
    const { timings } = this.#o;
    const until = Date.now() + timings.replyLockTtlMs;
    for (;;) {
      let done = false;
      const withdraw = async () => {
        done = await this.#withdraw(ref);
      };
      if (await this.#locked(ref, withdraw)) return done;
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, timings.replyLockRetryMs));
    }
  }

  async #withdraw(ref: MemoRef): Promise<boolean> {
    const { store, log } = this.#o;
    const keys = workspaceKeys(ref.workspace);
    const reply = await store.get<ReplyRecord>(keys.reply(ref));
    const slack = reply ? await this.#o.workspaces.slack(ref.workspace) : undefined;
    if (reply && slack) {
      const posted = [...reply.replyTs];
      // A reply whose ts a killed process could not save is found by its metadata.
      if (reply.posting !== undefined && !posted[reply.posting]) {
        const found = await this.#findPosted(slack, ref, reply.posting);
        if (found.kind === 'busy') return false;
        if (found.ts) posted[reply.posting] = found.ts;
      }
      for (const ts of posted) {
        if (!ts) continue;
        try {
          await slack.web.chat.delete({ channel: ref.channel, ts });
        } catch (err) {
          if (!slackRefused(err)) {
            log.warn('could not delete a reply: will try again', { error: slackError(err) });
            return false;
          }
          if (slackError(err) !== 'message_not_found')
            log.warn('Slack refused to delete a reply', { error: slackError(err) });
        }
      }
      for (const name of [reply.reaction, ...(reply.stale ?? [])]) {
        if (!name) continue;
        await slack.web.reactions.remove({ channel: ref.channel, timestamp: ref.ts, name }).catch(() => {}); // The memo itself is gone, most often, and its reactions with it.
      }
    }
    await store.delete(keys.reply(ref));
    await store.update(keys.repliesOwed(), { [memoField(ref)]: null });
    return true;
  }

  /**
   * The ts of the part-th reply of a memo in its thread, found by its metadata, when it is there; `busy` when the
   * budget of conversations.replies has no call now.
   */
  async #findPosted(
    slack: WorkspaceSlack,
    job: MemoRef,
    part: number,
  ): Promise<{ kind: 'busy'; retryInMs: number } | { kind: 'looked'; ts?: string }> {
    const grant = await slack.budget.take('conversations.replies');
    if (!grant.ok) return { kind: 'busy', retryInMs: grant.retryInMs };
    try {
      const found = await slack.direct.conversations.replies({
        channel: job.channel,
        ts: replyThreadTs(job),
        include_all_metadata: true,
        limit: LIMITS.historyPage,
      });
      const mine = (found.messages ?? []).find((m) => {
        const payload = m.metadata?.event_payload as { memo?: unknown; part?: unknown } | undefined;
        return m.metadata?.event_type === REPLY_EVENT && payload?.memo === memoField(job) && payload?.part === part;
      });
      return { kind: 'looked', ts: typeof mine?.ts === 'string' ? mine.ts : undefined };
    } catch (err) {
      const retryAfter = retryAfterOf(err);
      if (retryAfter !== undefined) {
        await slack.budget.pause('conversations.replies', undefined, retryAfter);
        return { kind: 'busy', retryInMs: retryAfter * 1000 };
      }
      this.#o.log.warn('could not look for a reply posted before a restart', { error: slackError(err) });
      return { kind: 'looked' };
    }
  }
}

/** The next call the thread needs on `method`, if any. */
function nextCall(s: MemoState, method: (typeof METHODS)[number]): Call | undefined {
  const { reply, digests } = s;
  switch (method) {
    case 'chat.postMessage':
    case 'chat.update': {
      const posted = method === 'chat.update';
      const part = digests.findIndex((d, i) => Boolean(reply.replyTs[i]) === posted && reply.shown[i] !== d);
      return part >= 0 ? { method, part } : undefined;
    }
    case 'reactions.add': {
      // A final reaction (✅, ⚠️) follows the text it stands for; the ones in between (⏳, 📝) do not wait for it.
      const textShown = s.digests.every((d, i) => reply.shown[i] === d);
      return reply.reaction !== s.reaction && (textShown || !s.final) ? { method, name: s.reaction } : undefined;
    }
    case 'reactions.remove': {
      // Taken off once the reaction that replaces it is on, so that the memo is never left without one.
      const name = reply.reaction === s.reaction ? reply.stale?.[0] : undefined;
      return name ? { method, name } : undefined;
    }
  }
}

function isMessage(method: string): boolean {
  return method === 'chat.postMessage' || method === 'chat.update';
}

/** How much a call matters: a memo's first reply most, then what is final, then the states in between. */
function urgencyOf(s: MemoState, call: Call): Urgency {
  if (call.method === 'chat.postMessage' && call.part === 0) return 'first';
  return s.final ? 'final' : 'intermediate';
}

/** The reaction is on the memo now; the one it replaces is to be taken off. */
function reacted(reply: ReplyRecord, name: string): void {
  const stale = new Set(reply.stale ?? []);
  if (reply.reaction && reply.reaction !== name) stale.add(reply.reaction);
  stale.delete(name);
  reply.reaction = name;
  reply.stale = [...stale];
}

/** Slack's refusal with this error name means the call's purpose is met (already there, already gone). */
function unless(error: string): (err: unknown) => void {
  return (err) => {
    if (slackError(err) !== error) throw err;
  };
}

/**
 * Counts one more failure in a row of the memo's calls on `method`, and says how long to wait before the next try:
 * 1 s, doubling, at most `replyRetryMaxMs`.
 */
function backOff(m: Memo, method: string): number {
  const failures = (m.failures.get(method) ?? 0) + 1;
  m.failures.set(method, failures);
  return Math.min(LIMITS.replyRetryMaxMs, 1000 * 2 ** Math.min(failures - 1, 10));
}

/** What the thread shows for a job: its transcript once there is one, else where it stands. */
function viewOf(job: JobRecord, segments: Segment[]): ReplyView {
  if (segments.length > 0) {
    return {
      kind: 'transcript',
      segments,
      complete: job.state === 'complete',
      durationSeconds: job.durationSeconds,
      exportValue: job.trackingId,
    };
  }
  switch (job.state) {
    case 'queued':
    case 'sending':
    case 'waiting':
      return { kind: job.state };
    // A job completes only once it has segments (src/pipeline/completion.ts); without them it is still waiting.
    case 'receiving':
    case 'complete':
      return { kind: 'waiting' };
    case 'failed':
      return { kind: 'failed', failure: job.failure ?? { code: 'internal' } };
    case 'timed_out':
      return {
        kind: 'timed_out',
        waitedMinutes: Math.floor((Date.now() - (job.acceptedAt ?? job.createdAt)) / 60_000),
      };
  }
}

function digestOf(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}
