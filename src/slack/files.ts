import type { Container } from '../audio/containers.ts';

/** The parts of a Slack file object this app reads. */
export interface SlackFile {
  id: string;
  name?: string | null;
  title?: string | null;
  mimetype?: string | null;
  filetype?: string | null;
  subtype?: string | null;
  size?: number | null;
  url_private_download?: string | null;
  url_private?: string | null;
  /** Slack Connect stubs: `{ id, mode: "file_access", file_access: "check_file_info" }`. */
  mode?: string | null;
  file_access?: string | null;
}

const MEDIA_EXTENSIONS = new Set([
  'wav',
  'mp3',
  'm4a',
  'mp4',
  'm4v',
  'mov',
  'webm',
  'ogg',
  'oga',
  'opus',
  'flac',
  'aac',
  'amr',
  '3gp',
  'mkv',
  'wma',
  'aif',
  'aiff',
  'caf',
]);

export type FileKind = 'audio' | 'maybe-audio' | 'not-audio';

/**
 * Audio is anything audio/*, Slack's recorded clips, video, and files with no mimetype whose name says
 * audio. A file with no mimetype and a name that says nothing is 'maybe-audio': its first bytes decide.
 */
export function classifyFile(file: SlackFile): FileKind {
  if (file.subtype === 'slack_audio' || file.subtype === 'slack_video') return 'audio';
  const mime = (file.mimetype ?? '').toLowerCase();
  if (mime.startsWith('audio/') || mime.startsWith('video/')) return 'audio';
  if (mime !== '' && mime !== 'application/octet-stream') return 'not-audio';
  if (MEDIA_EXTENSIONS.has(extension(file))) return 'audio';
  return 'maybe-audio';
}

export function isStub(file: SlackFile): boolean {
  return file.file_access === 'check_file_info';
}

export function extension(file: SlackFile): string {
  const fromName = /\.([A-Za-z0-9]{1,5})$/.exec(file.name ?? '')?.[1];
  return (fromName ?? file.filetype ?? '').toLowerCase();
}

export function displayName(file: SlackFile): string {
  return file.name || file.title || 'audio file';
}

/** How the bytes go to OMICall, once the first bytes are known. */
export type UploadPlan =
  | { mode: 'as-is'; extension: 'wav' | 'mp3' | 'm4a'; contentType: string }
  | { mode: 'convert'; extension: 'mp3'; contentType: 'audio/mpeg' }
  | { mode: 'sign-in-page' }
  | { mode: 'not-audio' };

/** .wav, .mp3 and .m4a go byte for byte; other audio and video are converted to MP3. */
export function planUpload(file: SlackFile, container: Container): UploadPlan {
  const convert = { mode: 'convert', extension: 'mp3', contentType: 'audio/mpeg' } as const;
  switch (container) {
    case 'wav':
      return { mode: 'as-is', extension: 'wav', contentType: 'audio/wav' };
    case 'mp3':
      return { mode: 'as-is', extension: 'mp3', contentType: 'audio/mpeg' };
    case 'mp4': {
      const declaredAudio = (file.mimetype ?? '').toLowerCase().startsWith('audio/') || extension(file) === 'm4a';
      return declaredAudio ? { mode: 'as-is', extension: 'm4a', contentType: 'audio/mp4' } : convert;
    }
    case 'html':
      return { mode: 'sign-in-page' };
    case 'unknown':
      return classifyFile(file) === 'audio' ? convert : { mode: 'not-audio' };
    default:
      return convert;
  }
}
