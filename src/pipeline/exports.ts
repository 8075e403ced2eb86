import type { webApi } from '@slack/bolt';
import { type OutputFormat, outputFileName, outputFormat, type TranscriptDoc } from '../outputs/index.ts';
import { loadJob, loadSegments } from '../records/jobs.ts';
import { replyThreadTs, verifyTrackingId } from '../records/tracking-id.ts';
import { uploadToThread } from '../slack/upload.ts';
import type { PipelineContext } from './context.ts';

export type ExportOutcome =
  | { status: 'uploaded'; fileName: string }
  /** No transcript yet (or no longer): nothing to put in a file. */
  | { status: 'nothing' }
  | { status: 'missing-scope'; scope: string }
  | { status: 'failed'; error: string };

/**
 * A transcript as a file in its memo's thread (.txt, .srt, .vtt: see src/outputs/), uploaded with Slack's
 * current upload flow. A transcript split over several replies is one whole file.
 */
export class Exports {
  readonly #c: PipelineContext;
  /** Uploads get a client that gives up within minutes, not the default half hour: someone is waiting. */
  readonly #uploads: webApi.WebClient;

  constructor(context: PipelineContext, uploads: webApi.WebClient) {
    this.#c = context;
    this.#uploads = uploads;
  }

  /** `value`: the signed tracking ID a button carries. */
  async export(value: string, formatId: string): Promise<ExportOutcome> {
    const format = outputFormat(formatId);
    const info = verifyTrackingId(value, this.#c.settings.trackingKey);
    if (!format || !info) return { status: 'nothing' };
    const [job, segments] = await Promise.all([loadJob(this.#c.store, value), loadSegments(this.#c.store, value)]);
    if (!job || segments.length === 0) return { status: 'nothing' };
    const doc: TranscriptDoc = { fileName: job.fileName, durationSeconds: job.durationSeconds, segments };
    return this.#upload(job, doc, format);
  }

  async #upload(
    job: { channel: string; ts: string; threadTs?: string; fileId: string },
    doc: TranscriptDoc,
    format: OutputFormat,
  ) {
    const fileName = outputFileName(doc, format);
    const result = await uploadToThread(this.#uploads, {
      channel: job.channel,
      threadTs: replyThreadTs(job),
      filename: fileName,
      title: fileName,
      content: format.render(doc),
    });
    if (result.ok) {
      this.#c.log.info('transcript file uploaded', { format: format.id, fileId: result.fileId });
      return { status: 'uploaded', fileName } as const;
    }
    this.#c.log.warn('transcript file refused', { format: format.id, error: result.error, detail: result.detail });
    if (result.error === 'missing_scope')
      return { status: 'missing-scope', scope: result.neededScope ?? 'files:write' } as const;
    return { status: 'failed', error: result.error } as const;
  }
}
