/**
 * ffmpeg, fed untrusted files, turned into a bounded tool: it reads only the container the app recognised
 * from the bytes (forced demuxer, a whitelist of that one demuxer, no protocol but the input's own), for at
 * most `maxSeconds` of output, `timeoutMs` of wall clock and `maxOutputBytes`, and the child is killed on
 * every path out.
 *
 * Why: without an input format ffmpeg probes, and a "voice-note.ogg" holding an HLS playlist or an ffconcat
 * list makes it read the server's own files (the 2018 build follows `file:///…/meeting.wav` from a playlist);
 * a live playlist keeps it running for ever; an hour of silence fits in 14 KB of FLAC and becomes 28 MB of MP3.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import { type AppError, ConversionError, errorMessage, SourceError } from '../errors.ts';
import { type ConvertibleContainer, DEMUXER } from './containers.ts';

/** A file on disk (any container), or bytes piped into ffmpeg's stdin (streamable containers only). */
export type ConversionInput = { path: string } | { stream: AsyncIterable<Uint8Array> };

export interface ConvertOptions {
  /** The ffmpeg binary (`findFfmpeg().path`). */
  ffmpeg: string;
  /** What `sniff` recognised; ffmpeg is made to read the input as this and nothing else. */
  container: ConvertibleContainer;
  input: ConversionInput;
  /** Longer audio fails with `too_long`; ffmpeg itself stops one second past it (`-t`). */
  maxSeconds: number;
  /**
   * Wall-clock limit from spawn to exit, time spent waiting for the reader of `output` included; past it
   * ffmpeg is SIGKILLed and the conversion fails `timed_out`.
   */
  timeoutMs: number;
  /** A larger MP3 fails with `output_too_large` (ffmpeg stops there: `-fs`). */
  maxOutputBytes?: number;
  /**
   * ffmpeg's error output, line by line, paths replaced. For logs only: it names ffmpeg internals and is
   * never meant for users.
   */
  onStderr?: (text: string) => void;
}

export interface Conversion {
  /**
   * MP3, mono 16 kHz 64 kbit/s: what OMICall's recogniser needs, small enough to upload fast. Ends by
   * throwing the conversion's failure, if any, so a reader never takes a cut MP3 for a whole one. Stopping
   * the iteration early kills ffmpeg.
   */
  output: AsyncIterable<Uint8Array>;
  /**
   * The MP3's duration once ffmpeg exited cleanly. Rejects with a `ConversionError` (reason `cannot_start`,
   * `unreadable`, `too_long`, `timed_out`, `output_too_large` or `stopped`) or, when the input stream
   * failed, a `SourceError`.
   */
  done: Promise<{ seconds: number }>;
  /** Kills ffmpeg (SIGKILL) if it still runs; `done` then rejects with reason `stopped`. */
  kill(): void;
  /** ffmpeg's process id, undefined when it could not start. */
  readonly pid: number | undefined;
}

/** Output past `maxSeconds` by less than this is the MP3 encoder's padding of its last frame, not audio. */
const DURATION_TOLERANCE_S = 0.5;

export interface ConvertArgsOptions {
  container: ConvertibleContainer;
  /** A file path, or 'stdin' for bytes piped in. */
  input: { path: string } | 'stdin';
  maxSeconds: number;
  maxOutputBytes?: number;
}

/**
 * ffmpeg's arguments for the conversion: the first audio stream of the input as MP3 on stdout (fd 1), and
 * progress (`key=value` lines, `out_time_us`, `total_size`) on fd 3. Every option below exists in both the
 * 2018 npm build and current releases.
 */
export function convertArgs(options: ConvertArgsOptions): string[] {
  const demuxer = DEMUXER[options.container];
  const fromFile = options.input !== 'stdin';
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    // Reading a file, ffmpeg must not read commands from a terminal or a pipe it inherited.
    ...(fromFile ? ['-nostdin'] : []),
    '-progress',
    'pipe:3',
    // Input options: the only protocol the input may use, the only demuxer, forced (no probing).
    '-protocol_whitelist',
    fromFile ? 'file' : 'pipe',
    '-format_whitelist',
    demuxer,
    '-f',
    demuxer,
    // QuickTime data references may point at other files; never follow them.
    ...(options.container === 'mp4' ? ['-enable_drefs', '0', '-use_absolute_path', '0'] : []),
    '-i',
    options.input === 'stdin' ? 'pipe:0' : `file:${options.input.path}`,
    // Output: the first audio stream only, none of the input's metadata or chapters.
    '-map',
    '0:a:0',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-t',
    String(options.maxSeconds + 1),
    ...(options.maxOutputBytes !== undefined ? ['-fs', String(options.maxOutputBytes)] : []),
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    // Bare MP3 frames: no ID3 tag naming the encoder, no Xing frame that a pipe could never fill in.
    '-id3v2_version',
    '0',
    '-write_xing',
    '0',
    // Left to itself, ffmpeg writes each MP3 frame (288 bytes at 64 kbit/s) to the pipe as it is made: 48,000
    // writes for 30 minutes, which made a conversion 16 % slower than the same one written to /dev/null.
    // Without a flush per packet it writes its 32 KB buffer whole.
    '-flush_packets',
    '0',
    '-f',
    'mp3',
    'pipe:1',
  ];
}

/** Converts the input to MP3 with ffmpeg, within the limits given; see `Conversion`. */
export function convertToMp3(options: ConvertOptions): Conversion {
  const { input, maxSeconds } = options;
  const path = 'path' in input ? input.path : undefined;
  const args = convertArgs({
    container: options.container,
    input: path !== undefined ? { path } : 'stdin',
    maxSeconds,
    maxOutputBytes: options.maxOutputBytes,
  });
  let child: ChildProcess;
  try {
    child = spawn(options.ffmpeg, args, { stdio: [path !== undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe'] });
  } catch (err) {
    return notStarted(err);
  }
  const stdout = child.stdout;
  const stderr = child.stderr;
  const progress = child.stdio[3];
  if (!stdout || !stderr || !(progress instanceof Readable)) {
    child.kill('SIGKILL');
    return notStarted(new Error('ffmpeg was spawned without its pipes'));
  }

  let failure: AppError | undefined;
  let exited = false;
  let seconds = 0;
  let outputBytes = 0;
  /** The first failure wins; ffmpeg is killed and its output cut so that no reader waits on it. */
  const fail = (err: AppError) => {
    failure ??= err;
    if (!exited) child.kill('SIGKILL');
    stdout.destroy();
    child.stdin?.destroy();
  };

  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
    // 'error' without a pid is a failed spawn (ENOENT, EACCES), and no 'exit' follows; other errors
    // (a kill that found the process gone) change nothing.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ error });
    });
  });

  const timer = setTimeout(() => {
    if (!exited) fail(new ConversionError('timed_out', `ffmpeg ran past its ${options.timeoutMs} ms limit`));
  }, options.timeoutMs);

  const progressRead = readLines(progress, (line) => {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us' || key === 'out_time_ms') {
      // Both are microseconds ("ms" is a historical misnomer); N/A and negative values come before output.
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) seconds = us / 1e6;
      if (seconds > maxSeconds + DURATION_TOLERANCE_S) {
        fail(new ConversionError('too_long', `the audio is longer than ${maxSeconds} s`));
      }
    } else if (key === 'total_size') {
      const size = Number(value);
      if (Number.isFinite(size) && size >= 0) outputBytes = size;
    }
  });

  const hidden = path !== undefined ? [`file:${path}`, path] : [];
  let tail = '';
  const stderrRead = readLines(stderr, (line) => {
    const clean = redactPaths(line, hidden);
    tail = `${tail}${clean}\n`.slice(-2000);
    try {
      options.onStderr?.(clean);
    } catch {
      // A logger that throws must not take the conversion, or the process, down with it.
    }
  });

  if ('stream' in input && child.stdin) {
    void feed(
      input.stream,
      child.stdin,
      exit,
      () => failure !== undefined || exited,
      (err) => fail(new SourceError(err)),
    );
  }

  const done = (async (): Promise<{ seconds: number }> => {
    const result = await exit;
    if ('error' in result) {
      clearTimeout(timer);
      stdout.destroy();
      stderr.destroy();
      progress.destroy();
      throw new ConversionError('cannot_start', `ffmpeg could not start (${result.error.message})`, {
        cause: result.error,
      });
    }
    // The progress and error pipes end when ffmpeg is gone; the last progress block gives the final time.
    await Promise.all([progressRead, stderrRead]);
    clearTimeout(timer);
    if (failure) throw failure;
    const why = tail.trim().split('\n').slice(-3).join(' | ');
    if (result.code !== 0) {
      const status = result.signal ?? `exit ${result.code}`;
      throw new ConversionError(
        'unreadable',
        `ffmpeg could not read the ${options.container} input (${status}): ${why}`,
      );
    }
    if (seconds > maxSeconds + DURATION_TOLERANCE_S) {
      throw new ConversionError('too_long', `the audio is longer than ${maxSeconds} s`);
    }
    if (options.maxOutputBytes !== undefined && outputBytes >= options.maxOutputBytes) {
      throw new ConversionError('output_too_large', `the MP3 reached its ${options.maxOutputBytes}-byte limit`);
    }
    if (seconds <= 0) {
      throw new ConversionError('unreadable', `ffmpeg found no audio in the ${options.container} input: ${why}`);
    }
    return { seconds };
  })();
  // Readers of `output` get the failure from there; `done` alone may be left unobserved.
  done.catch(() => {});

  async function* read(): AsyncGenerator<Uint8Array> {
    let reachedEnd = false;
    try {
      try {
        for await (const chunk of stdout as AsyncIterable<Uint8Array>) {
          if (failure) break;
          yield chunk;
        }
      } catch (err) {
        // The pipe was cut by a failure (then `done` says which) or broke on its own.
        if (!failure) fail(new ConversionError('unreadable', `ffmpeg's output broke: ${errorMessage(err)}`));
      }
      reachedEnd = true;
    } finally {
      // The reader stopped early (break, return, throw): nobody will read the rest.
      if (!reachedEnd) fail(new ConversionError('stopped', 'the MP3 was not read to its end'));
    }
    await done;
  }

  return {
    output: read(),
    done,
    kill: () => fail(new ConversionError('stopped', 'the conversion was stopped')),
    pid: child.pid,
  };
}

/** A conversion whose spawn threw (a malformed binary path, say). */
function notStarted(err: unknown): Conversion {
  const error = new ConversionError('cannot_start', `ffmpeg could not start (${errorMessage(err)})`, { cause: err });
  const done = Promise.reject(error);
  done.catch(() => {});
  return {
    output: (async function* (): AsyncGenerator<Uint8Array> {
      yield* [];
      throw error;
    })(),
    done,
    kill: () => {},
    pid: undefined,
  };
}

/**
 * Pipes the source into ffmpeg's stdin, honouring back-pressure: the next chunk is pulled only once the
 * pipe has room, so a fast download waits for ffmpeg instead of piling up in memory. Stops when ffmpeg is
 * gone or failed (an EPIPE from an ffmpeg that stopped reading is expected then and swallowed; its exit
 * status tells what happened), and then cancels the source through its iterator's `return()`. A source
 * that throws fails the conversion with a `SourceError`. A source stuck in `next()` is left to its own
 * deadline: ffmpeg's wall-clock limit still ends the conversion.
 */
async function feed(
  source: AsyncIterable<Uint8Array>,
  stdin: Writable,
  exit: Promise<unknown>,
  stopped: () => boolean,
  onSourceError: (err: unknown) => void,
): Promise<void> {
  stdin.on('error', () => {});
  let iterator: AsyncIterator<Uint8Array> | undefined;
  let finished = false;
  try {
    iterator = source[Symbol.asyncIterator]();
    for (;;) {
      if (stopped() || stdin.destroyed) return;
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        break;
      }
      if (stopped() || stdin.destroyed) return;
      if (!stdin.write(next.value) && !stdin.destroyed) await writable(stdin, exit);
    }
    stdin.end();
  } catch (err) {
    finished = true;
    onSourceError(err);
  } finally {
    if (!finished && iterator?.return) {
      try {
        iterator.return().catch(() => {});
      } catch {
        // A source that cannot be cancelled is left to end on its own.
      }
    }
  }
}

/** Resolves once the pipe drained, closed or failed, or ffmpeg exited. */
function writable(w: Writable, exit: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      w.off('drain', settle);
      w.off('close', settle);
      w.off('error', settle);
      resolve();
    };
    w.on('drain', settle);
    w.on('close', settle);
    w.on('error', settle);
    void exit.then(settle);
  });
}

/** Calls `onLine` for each line of a text stream; resolves when the stream ends or closes. */
function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line.replace(/\r$/, ''));
    });
    const end = () => {
      if (partial.trim()) onLine(partial);
      partial = '';
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  });
}

/**
 * ffmpeg's messages without the server's paths: the input's own path becomes `<input>`, any other absolute
 * path `<path>`. ("kb/s" and "pipe:0" are kept: a path here starts a word.)
 */
function redactPaths(text: string, known: string[] = []): string {
  let out = text;
  for (const p of known) if (p) out = out.split(p).join('<input>');
  return out.replace(/(^|[\s'"(=[])(?:file:)?\/[^\s'"()[\]]+/g, '$1<path>');
}
