// TEMPORARY bridge until the hardened audio module lands; replaced by containers.ts/duration.ts/convert.ts.
import { rm } from 'node:fs/promises';
import { ConversionError } from '../errors.ts';
import type { Container } from './containers.ts';
import { convertToMp3 as convertFile } from './convert.ts';

export type ConvertibleContainer = Exclude<Container, 'html' | 'unknown'>;
export function isConvertible(c: Container): c is ConvertibleContainer {
  return c !== 'html' && c !== 'unknown';
}
export function needsSeeking(c: ConvertibleContainer): boolean {
  return c !== undefined;
}
export function durationFromHead(_c: Container, _head: Uint8Array, _total?: number): number | undefined {
  return undefined;
}
export function convertToMp3(options: {
  ffmpeg: string;
  container: ConvertibleContainer;
  input: { path: string } | { stream: AsyncIterable<Uint8Array> };
  maxSeconds: number;
  timeoutMs: number;
  onStderr?: (text: string) => void;
}): { output: AsyncIterable<Uint8Array>; done: Promise<{ seconds: number }>; kill(): void } {
  if (!('path' in options.input)) throw new Error('stream input not bridged');
  const c = convertFile(options.input.path, options.ffmpeg);
  const done = c.done.then(
    () => ({ seconds: 0 }),
    (err: Error) => {
      throw new ConversionError(
        err.message.startsWith('ffmpeg could not start') ? 'cannot_start' : 'unreadable',
        err.message,
      );
    },
  );
  done.catch(() => {});
  async function* output() {
    try {
      yield* c.output;
    } catch {}
    await done;
  }
  return { output: output(), done, kill: c.kill };
}
export const removeFile = (path: string) => rm(path, { force: true });
