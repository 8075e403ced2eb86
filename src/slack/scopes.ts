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
] as const;
