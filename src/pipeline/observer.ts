import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';

/** Someone whose memos changed: where they stand, or that one was deleted. */
export interface Person {
  workspace: string;
  user?: string;
}

/** Told of every change to someone's memos (the Home tab shows them); never slows the pipeline down. */
export interface JobObserver {
  changed(person: Person): void;
}

export const NO_OBSERVER: JobObserver = { changed: () => {} };

/** Tells the observer; whatever it throws is logged, never the pipeline's problem. */
export function quietly(observer: JobObserver, person: Person, log: Logger): void {
  if (!person.user) return;
  try {
    observer.changed(person);
  } catch (err) {
    log.warn('could not pass on a change', { error: errorMessage(err) });
  }
}
