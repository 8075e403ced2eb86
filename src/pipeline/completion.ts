import type { JobRecord } from '../records/job.ts';
import type { Segment } from '../records/segments.ts';

/**
 * When a transcript is complete. OMICall sends no "done", so the app decides from the text's times and from quiet:
 *
 * - The text reaches the end of the audio when its last passage ends within the end's tolerance: 2 s, or a tenth of
 *   the audio when that is less (a 3.5 s memo ends within 0.35 s of 3.5 s), and never in the first half of the audio
 *   (one passage of 0–1.5 s does not finish a 3.5 s memo). Then it is complete once no segment came for `quietMs`.
 * - Whatever its times (the audio's length is unknown, or the provider left out trailing silence), a transcript is
 *   complete once no segment came for `longQuietMs`, so that every memo with a transcript ends complete.
 * - A job the provider accepted that gets no text within `callbackTimeoutMs` plus twice the audio's length times out.
 */
export interface CompletionRules {
  quietMs: number;
  longQuietMs: number;
  callbackTimeoutMs: number;
}

/** What a job's check finds, and when to look again. */
export type Verdict = { kind: 'complete' } | { kind: 'time-out' } | { kind: 'later'; at: number } | { kind: 'done' };

/** Whether the text reaches the end of audio of this length. */
export function reachesEnd(segments: readonly Pick<Segment, 'to'>[], durationSeconds: number): boolean {
  if (segments.length === 0) return false;
  const end = Math.max(...segments.map((s) => s.to));
  const tolerance = Math.min(2, durationSeconds / 10);
  return end > durationSeconds / 2 && end >= durationSeconds - tolerance;
}

/** The time-out of a job the provider accepted. */
export function timeoutAt(job: Pick<JobRecord, 'acceptedAt' | 'durationSeconds'>, rules: CompletionRules): number {
  return Math.round((job.acceptedAt ?? Date.now()) + rules.callbackTimeoutMs + 2 * (job.durationSeconds ?? 0) * 1000);
}

/** The next time something may happen to a transcript that is receiving, if the text reached its end or not. */
export function quietAt(job: Pick<JobRecord, 'lastSegmentAt'>, ended: boolean, rules: CompletionRules): number {
  return (job.lastSegmentAt ?? Date.now()) + (ended ? rules.quietMs : rules.longQuietMs);
}

export function check(job: JobRecord, segments: readonly Segment[], now: number, rules: CompletionRules): Verdict {
  if (job.state === 'waiting') {
    const at = timeoutAt(job, rules);
    return now >= at ? { kind: 'time-out' } : { kind: 'later', at };
  }
  if (job.state !== 'receiving') return { kind: 'done' };
  const ended = job.durationSeconds !== undefined && reachesEnd(segments, job.durationSeconds);
  const at = quietAt(job, ended, rules);
  return now >= at ? { kind: 'complete' } : { kind: 'later', at };
}
