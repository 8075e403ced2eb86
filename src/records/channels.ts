import type { Store } from '../store/index.ts';
import { keys } from './jobs.ts';

/** Whether new memos in a channel are transcribed without asking (the default). */
export async function isAutoOn(store: Store, channel: string): Promise<boolean> {
  return (await store.get<string>(keys.channelAuto(channel))) !== 'off';
}

/** Switches automatic transcription in a channel, for everyone, on every instance. */
export async function setAuto(store: Store, channel: string, on: boolean): Promise<void> {
  if (on) await store.delete(keys.channelAuto(channel));
  else await store.set(keys.channelAuto(channel), 'off');
}
