import type { SlackFile } from '../records/slack-file.ts';

export type { SlackFile };

const MEDIA_EXTENSIONS = new Set(
  'wav mp3 m4a mp4 m4v mov webm ogg oga opus flac aac amr 3gp mkv wma aif aiff caf'.split(' '),
);
/** Modes of files with content the app could download. Absent on older payloads. */
// Stryker disable next-line StringLiteral: snippets and posts are text (text/* mimetypes), never audio, so whether their mode counts as content changes no outcome; 'hosted' is killed when run (static mutants are not re-evaluated by the vitest runner)
const CONTENT_MODES = new Set(['hosted', 'snippet', 'post', undefined, null]);

export type FileKind = 'audio' | 'maybe-audio' | 'not-audio';

/**
 * Audio is anything audio/*, Slack's recorded clips, video, and files with no mimetype whose name says audio.
 * A file with no mimetype and a name that says nothing is 'maybe-audio': its first bytes decide. Files
 * without content (hidden by the free plan's limit, deleted, external links) or without a download link are
 * never audio. A Slack Connect stub must be looked up first (`isStub`).
 */
export function classifyFile(file: SlackFile): FileKind {
  if (!CONTENT_MODES.has(file.mode ?? undefined)) return 'not-audio';
  if (!file.url_private_download && !file.url_private) return 'not-audio';
  if (file.subtype === 'slack_audio' || file.subtype === 'slack_video') return 'audio';
  if (file.media_display_type === 'audio' || file.media_display_type === 'video') return 'audio';
  const mime = (file.mimetype ?? '').toLowerCase();
  if (mime.startsWith('audio/') || mime.startsWith('video/')) return 'audio';
  if (mime !== '' && mime !== 'application/octet-stream') return 'not-audio';
  if (MEDIA_EXTENSIONS.has(extension(file))) return 'audio';
  return 'maybe-audio';
}

/** A Slack Connect stub: only an id, to be looked up with files.info. */
export function isStub(file: SlackFile): boolean {
  return file.file_access === 'check_file_info';
}

/** Whether Slack called the file audio (an MP4 container may hold video). */
export function declaredAudio(file: SlackFile): boolean {
  return (
    file.subtype === 'slack_audio' ||
    file.media_display_type === 'audio' ||
    // Stryker disable next-line StringLiteral: a missing mimetype and any text that is not audio/* say the same
    (file.mimetype ?? '').toLowerCase().startsWith('audio/') ||
    extension(file) === 'm4a'
  );
}

export function extension(file: SlackFile): string {
  // Stryker disable next-line StringLiteral: a missing name and a name without an extension both fall back to filetype
  const fromName = /\.([A-Za-z0-9]{1,5})$/.exec(file.name ?? '')?.[1];
  return (fromName ?? file.filetype ?? '').toLowerCase();
}

export function displayName(file: SlackFile): string {
  return file.name || file.title || 'audio file';
}

/** The file's length from Slack (clips carry duration_ms), in seconds. */
export function reportedSeconds(file: SlackFile): number | undefined {
  return typeof file.duration_ms === 'number' && file.duration_ms > 0 ? file.duration_ms / 1000 : undefined;
}

/** Only what the relay needs, kept in the queue. */
export function slimFile(file: SlackFile): SlackFile {
  return {
    id: file.id,
    name: file.name,
    title: file.title,
    mimetype: file.mimetype,
    filetype: file.filetype,
    subtype: file.subtype,
    size: file.size,
    url_private_download: file.url_private_download,
    url_private: file.url_private,
    mode: file.mode,
    duration_ms: file.duration_ms,
    media_display_type: file.media_display_type,
  };
}
