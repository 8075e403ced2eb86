/** The bot scopes the app needs; manifest.yml declares the same (a test keeps them equal). */
export const REQUIRED_SCOPES = [
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  'files:read',
  'chat:write',
  'reactions:write',
  'commands',
  /** users.info with include_locale: the language a user reads replies in. */
  'users:read',
  /** Transcripts as files in the thread (files.uploadV2). */
  'files:write',
  /** conversations.members: whether the person asking is in the channel, by kind of conversation. */
  'channels:read',
  'groups:read',
  'im:read',
  'mpim:read',
] as const;
