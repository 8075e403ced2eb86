import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.ts';
import { slackError } from './errors.ts';
import type { SlackFile } from './files.ts';

/** What `files.info` said of a file: the file, or Slack's error (the file may still be a memo nobody can see). */
export type FileInfo = { ok: true; file: SlackFile } | { ok: false; error: string };

/**
 * The file behind a Slack Connect stub (`file_access: check_file_info`, see src/slack/files.ts's isStub), described by
 * `files.info`. A failure is logged here; what the thread is told is the caller's to decide.
 */
export async function fileInfo(web: webApi.WebClient, fileId: string, log: Logger): Promise<FileInfo> {
  try {
    const { file } = await web.files.info({ file: fileId });
    if (file) return { ok: true, file: file as SlackFile };
    return { ok: false, error: 'file_not_found' };
  } catch (err) {
    const error = slackError(err);
    log.warn('files.info failed', { fileId, error });
    return { ok: false, error };
  }
}
