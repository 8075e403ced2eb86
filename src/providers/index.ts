import type { Container } from '../audio/containers.ts';
import type { AccountSource } from '../records/job.ts';
import type { Segment } from '../records/segments.ts';
import { createOmicall } from './omicall/index.ts';

/**
 * A speech-to-text service, as the pipeline sees it: what it takes, how it is sent a file, how its results
 * arrive, how `npm run doctor` checks it. OMICall (`./omicall/`) is the one implementation; adding another is
 * one folder here implementing this interface, and one line in `createProvider`.
 */
export interface SpeechProvider {
  /** Short id, used in the callback URL: `/{id}/webhook/{secret}`. */
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
  /** Sends one file with a workspace's account; the result arrives later, through the callback. */
  submit(upload: AudioUpload, account: ProviderAccount): Promise<ProviderResult>;
  /** Tells the provider where to send an account's results; called at start, when a key is set, and by doctor. */
  registerCallback(url: string, account: ProviderAccount): Promise<ProviderResult>;
  /** Reads a callback body: segments with the tracking ID they answer, or why it is malformed. */
  parseCallback(body: string): ParsedCallback;
  /** Words for an admin about a failed registration: which setting to check. */
  diagnose(result: Extract<ProviderResult, { ok: false }>): string;
  close(): Promise<void>;
}

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

/** What the provider answered: accepted, or a failure with its error name and whether trying again may help. */
export type ProviderResult = { ok: true } | { ok: false; error: string; message?: string; retryable: boolean };

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

export interface ProviderSettings {
  omicallApiUrl: string;
  /** How long to wait for the provider's answer once an upload is sent. */
  timeoutMs?: number;
}

export function createProvider(settings: ProviderSettings): SpeechProvider {
  return createOmicall({ baseUrl: settings.omicallApiUrl, timeoutMs: settings.timeoutMs });
}
