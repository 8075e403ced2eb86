/** The parts of a Slack file object this app reads and keeps with a job (`slimFile` in src/slack/files.ts). */
export interface SlackFile {
  id: string;
  name?: string | null;
  title?: string | null;
  mimetype?: string | null;
  filetype?: string | null;
  /** `slack_audio` / `slack_video` for clips recorded in Slack. */
  subtype?: string | null;
  size?: number | null;
  url_private_download?: string | null;
  url_private?: string | null;
  /**
   * `hosted` for files Slack keeps; `hidden_by_limit` (a free plan hides old files), `tombstone` (deleted),
   * `external` (a link to another service) have no content; Slack Connect stubs say `file_access`.
   */
  mode?: string | null;
  /** Slack Connect stubs: `{ id, mode: "file_access", file_access: "check_file_info" }`. */
  file_access?: string | null;
  /** Clips: their length. */
  duration_ms?: number | null;
  /** Clips: `audio`, `video` or `unknown`. */
  media_display_type?: string | null;
}
