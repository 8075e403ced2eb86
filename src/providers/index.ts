import type { Container } from '../audio/containers.ts';
import type { EnvReader } from '../env.ts';
import type { AccountSource } from '../records/job.ts';
import type { Segment } from '../records/segments.ts';

/**
 * A speech-to-text service, as the pipeline sees it: what it takes, how it is sent a file, how its results
 * arrive, how `npm run doctor` checks it. OMICall (`./omicall/`) is the one in production; adding another is one
 * folder here exporting a `ProviderModule`, and one line in `PROVIDERS` (registry.ts).
 */
export interface SpeechProvider {
  /** Short id, as SPEECH_PROVIDER names it and as the callback URL carries it: `/{id}/webhook/{secret}`. */
  readonly id: string;
  /** The name users read ("sent to OMICall"). */
  readonly name: string;
  /**
   * How a file in this container is sent as it is (file extension and content type), or undefined when it must
   * be converted to `convertTo`. `declaredAudio` says Slack called it audio (an MP4 container may be video).
   */
  sendAsIs(container: Container, declaredAudio: boolean): UploadFormat | undefined;
  /** What everything else is converted to (ffmpeg makes MP3). */
  readonly convertTo: UploadFormat;
  /**
   * Sends one file with a workspace's account. A callback provider's results arrive later, through its webhook; a
   * synchronous one answers with the whole transcript.
   */
  submit(upload: AudioUpload, account: ProviderAccount): Promise<ProviderResult>;
  /** How the provider's results reach the app. */
  readonly results: ResultDelivery;
  /** Words for an admin about a refusal (an upload, a registration): which setting to check. */
  diagnose(result: Extract<ProviderResult, { ok: false }>): string;
  close(): Promise<void>;
}

/**
 * How results arrive. `callback`: the provider POSTs them to the app's webhook (`/{id}/webhook/{secret}`), which it is
 * told at start, when a workspace's key is set, and by doctor. `synchronous`: `submit`'s answer carries the whole
 * transcript, and the memo is complete as soon as it is shown. A provider that must be polled polls inside `submit`,
 * within the relay's provider time-out, and answers like a synchronous one.
 */
export type ResultDelivery =
  | {
      kind: 'callback';
      /**
       * Tells the provider where to send an account's results. `signal` gives up waiting (someone waits for the
       * answer): the answer is then a retryable `timeout`.
       */
      register(url: string, account: ProviderAccount, options?: { signal?: AbortSignal }): Promise<ProviderResult>;
      /** Reads a callback body: segments with the tracking ID they answer, or why it is malformed. */
      parse(body: string): ParsedCallback;
    }
  | { kind: 'synchronous' };

export interface UploadFormat {
  extension: string;
  contentType: string;
}

export interface AudioUpload {
  trackingId: string;
  /** Name with the extension the provider goes by. */
  fileName: string;
  contentType: string;
  /**
   * The audio, streamed (a Node stream such as a download's body, or any async iterable). Its chunks are
   * handed over: a provider may release each one's memory as soon as it is sent (OMICall's client does), so
   * the caller must neither keep nor reuse them. A failure of this source makes `submit` reject with a
   * `SourceError`.
   */
  body: AsyncIterable<Uint8Array>;
  /** Byte length of body, when known: lets the upload carry a Content-Length. */
  length?: number;
  /** Aborts the upload (the app is stopping): `submit` then resolves with a retryable failure. */
  signal?: AbortSignal;
}

/**
 * What the provider answered: accepted (with the whole transcript, from a synchronous provider), or a failure with
 * its error name and whether trying again may help.
 */
export type ProviderResult =
  | { ok: true; transcript?: Segment[] }
  | { ok: false; error: string; message?: string; retryable: boolean };

/** One segment of a callback, with the tracking ID it answers (not yet verified). */
export interface Delivery {
  trackingId: string;
  segment: Segment;
}

export type ParsedCallback =
  /** `ignored`: objects that are not speech-to-text results (another product sharing the URL). */
  { ok: true; deliveries: Delivery[]; ignored: number } | { ok: false; reason: string };

/** The credentials a workspace's uploads go with. */
export interface ProviderAccount {
  apiKey: string;
  /** The workspace's own key, or the operator's default (OMICALL_API_KEY) for workspaces without one. */
  source: AccountSource;
}

/**
 * A provider as the registry holds it: its id, and how it reads its own settings from the environment. Every
 * variable it reads is its own (OMICALL_API_KEY, OMICALL_API_URL…): the rest of the app never names them.
 */
export interface ProviderModule {
  /** What SPEECH_PROVIDER says to choose it; also its webhook's first path segment. */
  id: string;
  /** Reads its settings; a bad one is added to the reader's problems, so that every bad variable is named at once. */
  configure(env: EnvReader): ProviderSetup;
}

/** A provider's settings, read from the environment, and how to make it. */
export interface ProviderSetup {
  /** The operator's account (every workspace's in single-workspace mode), when the environment gives one. */
  account?: { apiKey: string };
  /** The variable that gives the operator's account, and where to find its value; undefined when none is needed. */
  accountSetting?: { variable: string; hint: string };
  /** The secret of the webhook URL, when the environment sets one; else one is derived from the signing secret. */
  webhookSecret?: string;
  /** Values logs and `npm run doctor` must never print. */
  secrets: string[];
  /** Where the provider is reached, as doctor names it. */
  address: string;
  /** The provider itself; `timeoutMs` is how long to wait for its answer once an upload is sent. */
  create(options: { timeoutMs: number }): SpeechProvider;
}
