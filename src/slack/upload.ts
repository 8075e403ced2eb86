import type { webApi } from '@slack/bolt';
import { errorMessage } from '../errors.ts';

/** What became of an upload: the file's id, or Slack's error name (and, for `missing_scope`, the scope). */
export type UploadResult =
  | { ok: true; fileId: string }
  | {
      ok: false;
      /**
       * Slack's error name (`missing_scope`, `not_in_channel`, `channel_not_found`, …), or, when Slack gave
       * none: `rate_limited`, `request_failed` (Slack or its upload host could not be reached, or refused the
       * bytes), `invalid_upload` (nothing to upload).
       */
      error: string;
      /** With `missing_scope`: the scope the app must be given (`files:write`). */
      neededScope?: string;
      /** For logs, when the failure is not one of Slack's error names. */
      detail?: string;
    };

export interface UploadArgs {
  channel: string;
  /** The thread the file is shared in: the memo's message `ts` (a thread's parent, never a reply). */
  threadTs: string;
  filename: string;
  title: string;
  /** A string is sent as UTF-8. */
  content: string | Buffer;
}

/**
 * Uploads a file into a thread with Slack's current upload flow (`files.upload` is retired):
 * `files.getUploadURLExternal` (name and length in bytes), a POST of the bytes to the `upload_url` it gives,
 * then `files.completeUploadExternal` with `channel_id` and `thread_ts`, which shares the file in the thread.
 * `client.files.uploadV2` does the three steps. Never throws.
 *
 * Mind the client's retry policy: Web API errors (`ok: false`) come back at once, but a request that cannot
 * reach Slack is retried as long as the client is configured to (by default for about half an hour).
 */
export async function uploadToThread(client: webApi.WebClient, args: UploadArgs): Promise<UploadResult> {
  const { channel, threadTs, filename, title, content } = args;
  try {
    const result = await client.files.uploadV2({
      channel_id: channel,
      thread_ts: threadTs,
      filename,
      title,
      ...(typeof content === 'string' ? { content } : { file: content }),
    });
    const fileId = uploadedFileId(result);
    return fileId
      ? { ok: true, fileId }
      : { ok: false, error: 'request_failed', detail: 'Slack named no uploaded file' };
  } catch (err) {
    return failure(err);
  }
}

/** uploadV2 answers `{ ok, files: [<files.completeUploadExternal answer>] }`; each answer has `files: [{ id }]`. */
function uploadedFileId(result: unknown): string | undefined {
  for (const completion of arrayAt(result, 'files')) {
    for (const file of arrayAt(completion, 'files')) {
      const id = field(file, 'id');
      if (typeof id === 'string' && id !== '') return id;
    }
  }
  return undefined;
}

/** The web-api package's error codes (its `ErrorCode`), read off the error rather than tied to its classes. */
const PLATFORM_ERROR = 'slack_webapi_platform_error';
const RATE_LIMITED = 'slack_webapi_rate_limited_error';
const FILE_UPLOAD_ARGUMENTS = 'slack_webapi_file_upload_invalid_args_error';
const FILE_UPLOAD_DATA = 'slack_webapi_file_upload_read_file_data_error';

function failure(err: unknown): UploadResult {
  const code = field(err, 'code');
  if (code === PLATFORM_ERROR) {
    const data = field(err, 'data');
    const error = field(data, 'error');
    const name = typeof error === 'string' && error !== '' ? error : 'request_failed';
    if (name !== 'missing_scope') return { ok: false, error: name };
    const needed = field(data, 'needed');
    return {
      ok: false,
      error: name,
      neededScope: typeof needed === 'string' && needed !== '' ? needed : 'files:write',
    };
  }
  const detail = errorMessage(err);
  if (code === RATE_LIMITED) return { ok: false, error: 'rate_limited', detail };
  if (code === FILE_UPLOAD_ARGUMENTS || code === FILE_UPLOAD_DATA)
    return { ok: false, error: 'invalid_upload', detail };
  return { ok: false, error: 'request_failed', detail };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function arrayAt(value: unknown, key: string): readonly unknown[] {
  const found = field(value, key);
  return Array.isArray(found) ? found : [];
}
