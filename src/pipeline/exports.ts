import type { Logger } from '../log.ts';
import { type OutputFormat, outputFileName, outputFormat, type TranscriptDoc } from '../outputs/index.ts';
import { type JobRecord, type Jobs, keptFor } from '../records/job.ts';
import type { MemoIndex } from '../records/memo-index.ts';
import type { Segments } from '../records/segments.ts';
import { replyThreadTs, verifyTrackingId } from '../records/tracking-id.ts';
import { uploadToThread } from '../slack/upload.ts';
import type { Workspaces } from '../workspaces/index.ts';

export type ExportOutcome =
  | { status: 'uploaded'; fileName: string }
  /** No transcript yet (or no longer), or not one of this workspace: nothing to put in a file. */
  | { status: 'nothing' }
  | { status: 'missing-scope'; scope: string }
  | { status: 'failed'; error: string };

/**
 * A transcript as a file in its memo's thread (.txt, .srt, .vtt: see src/outputs/), uploaded with Slack's current
 * upload flow. A transcript split over several replies is one whole file. A button carries the signed tracking ID;
 * one pressed in another workspace than the memo's finds nothing.
 */
export interface ExportsOptions {
  jobs: Jobs;
  segments: Segments;
  /** Where the files uploaded are noted, to be deleted with their memo. */
  index: MemoIndex;
  workspaces: Workspaces;
  trackingKey: string;
  log: Logger;
}

export class Exports {
  readonly #o: ExportsOptions;

  constructor(options: ExportsOptions) {
    this.#o = options;
  }

  /** `value`: the signed tracking ID a button carries; `workspace`: where the button was pressed. */
  async export(workspace: string, value: string, formatId: string): Promise<ExportOutcome> {
    const format = outputFormat(formatId);
    const info = verifyTrackingId(value, this.#o.trackingKey);
    if (!format || !info || info.ref.workspace !== workspace) return { status: 'nothing' };
    const [job, segments] = await Promise.all([
      this.#o.jobs.load(workspace, value),
      this.#o.segments.load(workspace, value),
    ]);
    if (!job || segments.length === 0) return { status: 'nothing' };
    const doc: TranscriptDoc = { fileName: job.fileName, durationSeconds: job.durationSeconds, segments };
    return this.#upload(job, doc, format);
  }

  async #upload(job: JobRecord, doc: TranscriptDoc, format: OutputFormat): Promise<ExportOutcome> {
    const slack = await this.#o.workspaces.slack(job.workspace);
    if (!slack) return { status: 'nothing' };
    const fileName = outputFileName(doc, format);
    const result = await uploadToThread(slack.uploads, {
      channel: job.channel,
      threadTs: replyThreadTs(job),
      filename: fileName,
      title: fileName,
      content: format.render(doc),
    });
    if (result.ok) {
      this.#o.log.info('transcript file uploaded', { format: format.id, fileId: result.fileId });
      const ttlMs = keptFor(job, await this.#o.workspaces.retentionMs(job.workspace));
      await this.#o.index.noteUpload(
        job.workspace,
        job,
        { fileId: result.fileId, format: format.id, at: Date.now() },
        ttlMs,
      );
      // The memo was deleted while its file went up: the file goes too (its deletion looks for it once more).
      if ((await this.#o.jobs.current(job)) === undefined) {
        await slack.web.files.delete({ file: result.fileId }).catch(() => {});
        await this.#o.index.forgetUploads(job.workspace, job);
        return { status: 'nothing' };
      }
      return { status: 'uploaded', fileName };
    }
    this.#o.log.warn('transcript file refused', { format: format.id, error: result.error, detail: result.detail });
    if (result.error === 'missing_scope')
      return { status: 'missing-scope', scope: result.neededScope ?? 'files:write' };
    return { status: 'failed', error: result.error };
  }
}
