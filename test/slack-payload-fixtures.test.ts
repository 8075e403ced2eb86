/**
 * The Slack payload fixtures and the local Slack stand-in themselves: the shapes Slack documents, and the files and
 * upload methods the stand-in serves.
 */
import type { BlockButtonAction, MessageShortcut, webApi } from '@slack/bolt';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackFile as AppSlackFile } from '../src/slack/files.ts';
import * as fx from './fixtures/slack-payloads.ts';
import { BOT_TOKEN, BOT_USER_ID, SlackStandIn } from './stand-ins/slack.ts';

/** The stand-in's file host finds a file's id with this. */
const STAND_IN_FILE_ID = /T0001-([A-Z0-9]+)\//;
const HOST = 'http://127.0.0.1:4318';

/** Every string in a value that is a URL, with where it is. */
function urlsIn(value: unknown, path = ''): { path: string; url: string }[] {
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? [{ path, url: value }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => urlsIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => urlsIn(v, path ? `${path}.${k}` : k));
  return [];
}

const hostedBuilders = {
  desktopVoiceClip: fx.desktopVoiceClip,
  iosVoiceClip: fx.iosVoiceClip,
  videoClip: fx.videoClip,
  untypedClip: fx.untypedClip,
  uploadedMp3: fx.uploadedMp3,
  uploadedMp4Video: fx.uploadedMp4Video,
  uploadedMov: fx.uploadedMov,
  uploadedPdf: fx.uploadedPdf,
  uploadedPng: fx.uploadedPng,
};

describe('hosted files', () => {
  for (const [kind, build] of Object.entries(hostedBuilders)) {
    it(`${kind}: every link is on the file host; the two download links follow the stand-in's scheme`, () => {
      const file = build(HOST, { id: 'F0TEST0042', user: 'UBOB0001', timestamp: 1_700_000_000 });
      expect(file.id).toBe('F0TEST0042');
      expect(file.mode).toBe('hosted');
      const urls = urlsIn(file);
      expect(urls.length).toBeGreaterThanOrEqual(4);
      for (const { path, url } of urls) expect(url, path).toMatch(new RegExp(`^${HOST}/`));
      for (const link of [file.url_private, file.url_private_download]) {
        expect(new URL(link).pathname).toMatch(/^\/files-pri\//);
        expect(STAND_IN_FILE_ID.exec(link)?.[1]).toBe(file.id);
      }
      expect(file.url_private_download).toContain('/download/');
      // Slack's transcodes and thumbnails, in its files-tmb form: team, file id and a hash.
      for (const { path, url } of urls.filter((u) => u.url.includes('/files-tmb/')))
        expect(url, path).toMatch(new RegExp(`/files-tmb/T0001-${file.id}-[0-9a-f]{10}/`));
      expect(file.permalink).toBe(`${HOST}/files/UBOB0001/F0TEST0042/${fx.slackUrlName(file.name)}`);
      expect(file.created).toBe(1_700_000_000);
      expect(file.user).toBe('UBOB0001');
    });
  }

  it('a desktop clip is WebM by name and type, but its links serve the MP4/AAC copy', () => {
    const clip = fx.desktopVoiceClip(HOST, { duration_ms: 42_000 });
    expect(clip).toMatchObject({
      name: 'audio_message.webm',
      mimetype: 'audio/webm',
      filetype: 'webm',
      subtype: 'slack_audio',
      media_display_type: 'audio',
      duration_ms: 42_000,
      transcription: { status: 'processing' },
    });
    expect(clip.url_private_download).toMatch(/\/download\/audio_message_audio\.mp4$/);
    expect(clip.url_private).toMatch(/\/audio_message_audio\.mp4$/);
    expect(clip.aac).toMatch(/\/audio_message_audio\.mp4$/);
    expect(clip.audio_wave_samples).toHaveLength(100);
    expect(Math.max(...(clip.audio_wave_samples ?? []))).toBe(100);
    expect(clip.permalink).toMatch(/\/audio_message\.webm$/);
    expect(clip.vtt).toBeUndefined();
  });

  it('a clip whose transcription is complete has Slack captions', () => {
    const clip = fx.desktopVoiceClip(HOST, {
      transcription: { status: 'complete', locale: 'en-US', preview: { content: 'Hello team', has_more: false } },
    });
    expect(clip.vtt).toMatch(/\/file\.vtt\?_xcb=[0-9a-f]{5}$/);
  });

  it('the other kinds say what Slack says of them', () => {
    const pick = (f: fx.SlackHostedFile) => [f.name, f.mimetype, f.filetype, f.subtype, f.media_display_type];
    expect(pick(fx.iosVoiceClip(HOST))).toEqual(['audio_message.m4a', 'audio/mp4', 'm4a', 'slack_audio', 'audio']);
    expect(fx.iosVoiceClip(HOST).url_private_download).toMatch(/\/download\/audio_message_audio\.mp4$/);
    expect(pick(fx.videoClip(HOST)).slice(1)).toEqual(['video/mp4', 'mp4', 'slack_video', 'video']);
    expect(pick(fx.untypedClip(HOST)).slice(1)).toEqual(['', '', 'slack_audio', 'unknown']);
    expect(pick(fx.uploadedMp3(HOST)).slice(1)).toEqual(['audio/mpeg', 'mp3', undefined, 'audio']);
    expect(fx.uploadedMp3(HOST, { name: 'memo.mp3' }).url_private_download).toMatch(/\/download\/memo\.mp3$/);
    expect(fx.uploadedMp3(HOST, { name: 'memo.mp3' }).aac).toMatch(/\/memo_audio\.mp4$/);
    expect(pick(fx.uploadedMp4Video(HOST)).slice(1)).toEqual(['video/mp4', 'mp4', undefined, 'video']);
    expect(pick(fx.uploadedMov(HOST))).toEqual([
      'Image uploaded from iOS.MOV',
      'video/quicktime',
      'mov',
      undefined,
      'video',
    ]);
    expect(fx.uploadedMov(HOST).title).toBe('Image uploaded from iOS');
    expect(pick(fx.uploadedPdf(HOST)).slice(1)).toEqual(['application/pdf', 'pdf', undefined, 'unknown']);
    expect(pick(fx.uploadedPng(HOST)).slice(1)).toEqual(['image/png', 'png', undefined, 'unknown']);
    for (const notMedia of [fx.uploadedPdf(HOST), fx.uploadedPng(HOST)]) {
      expect(notMedia.duration_ms).toBeUndefined();
      expect(notMedia.transcription).toBeUndefined();
    }
    for (const media of [fx.videoClip(HOST), fx.uploadedMp4Video(HOST), fx.uploadedMov(HOST)]) {
      expect(media.mp4).toMatch(/\.mp4$/);
      expect(media.hls).toMatch(/\/file\.m3u8\?_xcb=/);
      expect(media.thumb_video).toMatch(/_thumb_video\.jpeg$/);
    }
  });

  it('names in links are lower case with anything unusual as "_", as Slack writes them', () => {
    expect(fx.slackUrlName('Audio clip (2022-08-22_15-11-01-551).m4a')).toBe(
      'audio_clip__2022-08-22_15-11-01-551_.m4a',
    );
    expect(fx.slackUrlName('Logicflow - Technical Overview_1080p.mp4')).toBe(
      'logicflow_-_technical_overview_1080p.mp4',
    );
  });

  it('overrides replace fields after the builder', () => {
    const clip = fx.iosVoiceClip(HOST, { overrides: { mimetype: 'video/mp4' } });
    expect(clip.mimetype).toBe('video/mp4');
    const { duration_ms: _, ...withoutDuration } = fx.desktopVoiceClip(HOST);
    expect('duration_ms' in withoutDuration).toBe(false);
  });

  it('fresh ids are distinct and in the form the stand-in matches', () => {
    const ids = Array.from({ length: 5 }, () => fx.desktopVoiceClip(HOST).id);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^F[A-Z0-9]+$/);
  });
});

describe('files without content', () => {
  it('a Slack Connect stub has only its id, the access mode and zeroed fields, and no link', () => {
    const stub = fx.slackConnectStub('F0STUB0001');
    expect(stub).toEqual({
      id: 'F0STUB0001',
      mode: 'file_access',
      file_access: 'check_file_info',
      created: 0,
      timestamp: 0,
      user: '',
    });
    expect(urlsIn(stub)).toEqual([]);
  });

  it('a hidden file has only id and mode; a deleted one too', () => {
    expect(Object.keys(fx.hiddenFile())).toEqual(['id', 'mode']);
    expect(fx.hiddenFile('F0HIDDEN01')).toEqual({ id: 'F0HIDDEN01', mode: 'hidden_by_limit' });
    expect(Object.keys(fx.deletedFile())).toEqual(['id', 'mode']);
    expect(fx.deletedFile('F0GONE0001')).toEqual({ id: 'F0GONE0001', mode: 'tombstone' });
  });

  it('an external file has no download link, and its only outside links are the document', () => {
    const doc = fx.externalFile(HOST);
    expect(doc).toMatchObject({ mode: 'external', is_external: true, external_type: 'gdrive', filetype: 'gdoc' });
    expect('url_private_download' in doc).toBe(false);
    expect(doc.url_private).toBe(doc.external_url);
    const elsewhere = urlsIn(doc).filter((u) => !u.url.startsWith(`${HOST}/`));
    expect(elsewhere.map((u) => u.path).sort()).toEqual(['external_url', 'url_private']);
  });

  it('the app’s own file type takes every fixture', () => {
    const files: AppSlackFile[] = [
      fx.desktopVoiceClip(HOST),
      fx.slackConnectStub(),
      fx.hiddenFile(),
      fx.deletedFile(),
      fx.externalFile(HOST),
    ];
    expect(files).toHaveLength(5);
  });
});

describe('the stand-in serves what the fixtures link to', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await new SlackStandIn().start();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('downloads a desktop clip from url_private_download and url_private, and files.info returns it whole', async () => {
    const clip = fx.desktopVoiceClip(slack.url);
    const bytes = Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom', 'latin1');
    slack.files.set(clip.id, { file: { ...clip }, bytes });
    for (const url of [clip.url_private_download, clip.url_private]) {
      const res = await request(url, { headers: { authorization: `Bearer ${BOT_TOKEN}` } });
      expect(res.statusCode).toBe(200);
      expect(Buffer.from(await res.body.arrayBuffer()).equals(bytes)).toBe(true);
    }
    const info = await request(`${slack.apiUrl}files.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ file: clip.id }).toString(),
    });
    const answer = (await info.body.json()) as { ok: boolean; file: fx.SlackHostedFile };
    expect(answer.ok).toBe(true);
    expect(answer.file).toEqual(clip);
  });
});

describe('Events API', () => {
  const clip = fx.desktopVoiceClip(HOST, { id: 'F0CLIP0001', timestamp: 1_700_000_001 });

  it('a file_share message event in its envelope survives JSON both ways', () => {
    const envelope = fx.eventCallback(
      fx.fileShareEvent({ channel: 'C0SALES01', ts: '1700000003.000200', files: [clip] }),
    );
    const body = JSON.stringify(envelope);
    expect(JSON.parse(body)).toEqual(envelope);
    expect(envelope).toMatchObject({
      type: 'event_callback',
      team_id: 'T0001',
      api_app_id: 'A0001',
      event_time: 1_700_000_003,
      is_ext_shared_channel: false,
      authorizations: [{ team_id: 'T0001', user_id: BOT_USER_ID, is_bot: true, enterprise_id: null }],
      event: {
        type: 'message',
        subtype: 'file_share',
        channel: 'C0SALES01',
        channel_type: 'channel',
        ts: '1700000003.000200',
        event_ts: '1700000003.000200',
        user: fx.DEFAULT_USER,
        upload: false,
        display_as_bot: false,
        files: [clip],
      },
    });
    expect(envelope.event_id).toMatch(/^Ev[A-Z0-9]+$/);
    expect(envelope.event.client_msg_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(envelope.event.thread_ts).toBeUndefined();
    const context = JSON.parse(Buffer.from(envelope.event_context.slice(2), 'base64url').toString());
    expect(envelope.event_context.startsWith('4-')).toBe(true);
    expect(context).toEqual({ et: 'message', tid: 'T0001', aid: 'A0001', cid: 'C0SALES01' });
  });

  it('text in the message comes with its rich_text block; none without', () => {
    const withText = fx.fileShareEvent({ channel: 'C1', ts: '1.000001', files: [clip], text: 'nghe thử nhé' });
    expect(withText.blocks).toEqual([
      {
        type: 'rich_text',
        block_id: expect.stringMatching(/^[A-Za-z0-9]{1,5}$/),
        elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'nghe thử nhé' }] }],
      },
    ]);
    expect('blocks' in fx.fileShareEvent({ channel: 'C1', ts: '1.000001', files: [clip] })).toBe(false);
  });

  it('a reply in a thread names the thread and who started it', () => {
    const event = fx.fileShareReplyEvent({
      channel: 'D0ALICE01',
      channel_type: 'im',
      ts: '1700000009.000300',
      files: [fx.iosVoiceClip(HOST)],
      thread_ts: '1700000003.000200',
      parent_user_id: 'UBOB0001',
    });
    expect(event).toMatchObject({ channel_type: 'im', thread_ts: '1700000003.000200', parent_user_id: 'UBOB0001' });
    for (const channel_type of ['channel', 'group', 'im', 'mpim'] as const)
      expect(fx.fileShareEvent({ channel: 'G1', channel_type, ts: '1.2', files: [] }).channel_type).toBe(channel_type);
  });
});

describe('a thread reply also sent to the channel', () => {
  it("is a message of subtype thread_broadcast with the thread's ts, its parent as root, and the files", () => {
    const clip = fx.iosVoiceClip(HOST);
    const event = fx.threadBroadcastEvent({
      channel: 'C0SALES01',
      ts: '1700000009.000300',
      files: [clip],
      thread_ts: '1700000003.000200',
      root: { text: 'Họp sáng nay', user: 'UBOB0001' },
    });
    expect(event).toMatchObject({
      type: 'message',
      subtype: 'thread_broadcast',
      ts: '1700000009.000300',
      event_ts: '1700000009.000300',
      thread_ts: '1700000003.000200',
      files: [clip],
      root: {
        type: 'message',
        ts: '1700000003.000200',
        thread_ts: '1700000003.000200',
        user: 'UBOB0001',
        reply_count: 1,
        latest_reply: '1700000009.000300',
        reply_users: [fx.DEFAULT_USER],
      },
    });
    expect(fx.eventCallback(event).event_context).toMatch(/^4-/);
  });
});

describe('conversations.history and conversations.replies', () => {
  it('history comes newest first, and mixes every kind of message and file', () => {
    const mixed = fx.mixedHistory(HOST, { has_more: true });
    const { messages } = mixed.answer;
    const times = messages.map((m) => Number(m.ts));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(messages.some((m) => 'subtype' in m && m.subtype === 'channel_join')).toBe(true);
    expect(messages.some((m) => 'subtype' in m && m.subtype === 'bot_message')).toBe(true);
    const modes = messages.flatMap((m) => ('files' in m ? m.files.map((f) => f.mode) : []));
    expect(new Set(modes)).toEqual(new Set(['hosted', 'file_access', 'hidden_by_limit', 'tombstone', 'external']));
    // History messages with files carry no subtype; only the event says file_share.
    expect(messages.filter((m) => 'files' in m).every((m) => !('subtype' in m))).toBe(true);
    // The real memo is older than the files that are no audio at all.
    const position = (ts: string) => messages.findIndex((m) => m.ts === ts);
    for (const other of [mixed.hidden, mixed.deleted, mixed.stub])
      expect(position(other.ts)).toBeLessThan(position(mixed.memo.ts));
    expect(mixed.stub.behind.id).toBe(mixed.stub.file.id);
    expect(mixed.answer).toMatchObject({ ok: true, has_more: true, pin_count: 0 });
    const oldest = messages.at(-1)?.ts ?? '';
    expect(Buffer.from(mixed.answer.response_metadata.next_cursor, 'base64').toString()).toBe(
      `next_ts:${oldest.replace('.', '')}`,
    );
    const parent = messages.find((m) => m.ts === mixed.transcribed.ts);
    expect(parent).toMatchObject({ thread_ts: mixed.transcribed.ts, reply_count: 1, reply_users: [BOT_USER_ID] });
  });

  it('a last page has no cursor', () => {
    const answer = fx.conversationsHistory([fx.userMessage({ ts: '1.000001', text: 'hi' })]);
    expect(answer).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });
  });

  it('replies come parent first, then oldest first, each naming the thread', () => {
    const parent = fx.fileShareMessage({ ts: '1700000100.000100', files: [fx.desktopVoiceClip(HOST)] });
    const replies = [
      fx.userMessage({ ts: '1700000300.000300', user: 'UBOB0001', text: 'cảm ơn' }),
      fx.botReply({ ts: '1700000200.000200', text: '📝 Transcript', thread_ts: parent.ts }),
    ];
    const answer = fx.conversationsReplies(parent, replies);
    expect(answer.messages.map((m) => m.ts)).toEqual(['1700000100.000100', '1700000200.000200', '1700000300.000300']);
    expect(answer.messages[0]).toMatchObject({
      thread_ts: parent.ts,
      reply_count: 2,
      reply_users_count: 2,
      latest_reply: '1700000300.000300',
    });
    for (const reply of answer.messages.slice(1))
      expect(reply).toMatchObject({ thread_ts: parent.ts, parent_user_id: fx.DEFAULT_USER });
  });
});

describe('interaction payloads', () => {
  it('a message shortcut carries the whole message, files included', () => {
    const files = [fx.desktopVoiceClip(HOST), fx.hiddenFile()];
    const message = fx.fileShareMessage({ ts: '1700000400.000400', files, thread_ts: '1700000300.000300' });
    const payload = fx.messageShortcut({
      message,
      channel: { id: 'D0ALICE01', name: 'directmessage' },
      responseUrl: `${HOST}/respond/7`,
    });
    expect(payload).toMatchObject({
      type: 'message_action',
      callback_id: 'transcribe_message',
      message_ts: message.ts,
      response_url: `${HOST}/respond/7`,
      team: { id: 'T0001', domain: 'acme' },
      user: { id: fx.DEFAULT_USER, team_id: 'T0001' },
      channel: { id: 'D0ALICE01', name: 'directmessage' },
      is_enterprise_install: false,
      enterprise: null,
      token: fx.VERIFICATION_TOKEN,
    });
    expect(payload.message).toEqual(message);
    expect(payload.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
    expect(Number(payload.action_ts)).toBeGreaterThan(Number(message.ts));
    // Bolt's own type takes it, but for `enterprise: null`, which Slack sends and Bolt's type omits.
    const forBolt: Omit<MessageShortcut, 'enterprise'> = payload;
    expect(JSON.parse(JSON.stringify(forBolt))).toEqual(payload);
  });

  it('a button press names the button, its block and the bot message it is in', () => {
    const reply = fx.botReply({
      ts: '1700000500.000500',
      thread_ts: '1700000400.000400',
      text: '📝 *Transcript of memo.m4a*',
      buttons: [
        { action_id: 'transcript_txt', text: '.txt', value: 'txt' },
        { action_id: 'transcript_srt', text: '.srt', value: 'srt' },
      ],
    });
    const payload = fx.buttonPress({
      message: reply,
      actionId: 'transcript_srt',
      channel: { id: 'C0SALES01', name: 'sales' },
      responseUrl: `${HOST}/respond/8`,
      user: fx.VIETNAMESE_PERSON,
    });
    expect(payload).toMatchObject({
      type: 'block_actions',
      api_app_id: 'A0001',
      container: { type: 'message', message_ts: reply.ts, channel_id: 'C0SALES01', is_ephemeral: false },
      user: { id: fx.VIETNAMESE_PERSON.id, username: 'lan.nguyen' },
      state: { values: {} },
      message: { ts: reply.ts, thread_ts: '1700000400.000400', bot_id: reply.bot_id },
    });
    const [action] = payload.actions;
    expect(action).toMatchObject({ type: 'button', action_id: 'transcript_srt', value: 'srt', text: { text: '.srt' } });
    const actionsBlock = reply.blocks.find((b) => b.type === 'actions');
    expect(action?.block_id).toBe(actionsBlock?.block_id);
    const forBolt: Omit<BlockButtonAction, 'enterprise'> = payload;
    expect(forBolt.actions).toHaveLength(1);
    expect(() =>
      fx.buttonPress({ message: reply, channel: payload.channel, actionId: 'nope', responseUrl: '' }),
    ).toThrow(/no button nope/);
  });
});

describe('users.info and files.info', () => {
  it('users.info with include_locale gives a Vietnamese and an English locale, with realistic profiles', () => {
    const lan = fx.usersInfo(fx.VIETNAMESE_PERSON);
    expect(lan.user).toMatchObject({
      locale: 'vi-VN',
      tz: 'Asia/Ho_Chi_Minh',
      tz_offset: 25_200,
      real_name: 'Nguyễn Thị Lan',
      profile: { real_name_normalized: 'Nguyen Thi Lan', display_name_normalized: 'Lan Nguyen', team: 'T0001' },
    });
    expect(fx.usersInfo(fx.ENGLISH_PERSON).user).toMatchObject({ id: fx.DEFAULT_USER, locale: 'en-US' });
    expect('locale' in fx.usersInfo(fx.ENGLISH_PERSON, { withLocale: false }).user).toBe(false);
    // @slack/web-api's response type takes it as it is.
    const forWebApi: webApi.UsersInfoResponse = lan;
    expect(forWebApi.user?.locale).toBe('vi-VN');
  });

  it('files.info gives the whole file with where it was shared', () => {
    const png = fx.uploadedPng(HOST, { id: 'F0STUB0002', user: 'UPARTNER1' });
    const info = fx.filesInfo(png, { channel: 'C0SHARED1', ts: '1700000600.000600', channel_name: 'acme-partner' });
    expect(info).toMatchObject({ ok: true, comments: [], file: { id: 'F0STUB0002', channels: ['C0SHARED1'] } });
    expect(info.file.shares).toEqual({
      public: {
        C0SHARED1: [
          { ts: '1700000600.000600', channel_name: 'acme-partner', team_id: 'T0001', share_user_id: 'UPARTNER1' },
        ],
      },
    });
    const inDm = fx.filesInfo(png, { channel: 'D0ALICE01', ts: '1.000001', channel_name: 'directmessage' });
    expect(inDm.file).toMatchObject({ channels: [], groups: [], ims: ['D0ALICE01'] });
    expect(fx.filesInfoRefusal('access_denied')).toEqual({ ok: false, error: 'access_denied' });
  });
});

describe("the local Slack's upload methods", () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await new SlackStandIn().start();
  });
  afterAll(async () => {
    await slack.close();
  });
  it('require filename and length, as Slack documents', async () => {
    for (const args of [{ filename: 'memo.txt' }, { length: 3 }, { filename: 'memo.txt', length: 'three' }]) {
      const answer = await fetch(`${slack.apiUrl}files.getUploadURLExternal`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(args),
      }).then((r) => r.json());
      expect(answer).toEqual({ ok: false, error: 'invalid_arguments' });
    }
  });

  it('take raw bytes at the upload URL, and refuse a complete call for bytes that never came', async () => {
    const call = (method: string, args: Record<string, unknown>) =>
      fetch(`${slack.apiUrl}${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(args),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const bytes = Buffer.from('WEBVTT\n');

    const early = await call('files.getUploadURLExternal', { filename: 'early.vtt', length: bytes.length });
    expect(await call('files.completeUploadExternal', { files: [{ id: early.file_id }] })).toEqual({
      ok: false,
      error: 'file_not_found',
    });

    const ticket = await call('files.getUploadURLExternal', { filename: 'raw.vtt', length: bytes.length });
    expect(ticket).toMatchObject({
      ok: true,
      upload_url: expect.stringContaining('/upload/'),
      file_id: expect.any(String),
    });
    const tooLong = await fetch(String(ticket.upload_url), { method: 'POST', body: Buffer.from('WEBVTT\n\nmore') });
    expect(tooLong.status).toBe(400);
    const posted = await fetch(String(ticket.upload_url), { method: 'POST', body: bytes });
    expect(posted.status).toBe(200);
    const done = await call('files.completeUploadExternal', { files: [{ id: ticket.file_id }] });
    expect(done).toMatchObject({ ok: true, files: [{ id: ticket.file_id, title: 'raw.vtt' }] });
    // No channel: the file stays private; no message anywhere.
    expect(slack.uploadedFiles.at(-1)).toEqual({
      fileId: ticket.file_id,
      filename: 'raw.vtt',
      title: 'raw.vtt',
      bytes,
    });
    expect(slack.messages.some((m) => m.files?.some((f) => (f as { id?: unknown }).id === ticket.file_id))).toBe(false);
  });
});
