/**
 * Listeners on their own: each one called with the arguments Bolt gives it (a fake `ack` and `respond` that record
 * what they are given), on a real in-memory store, with recording stand-ins for the pipeline parts it hands work to.
 * What the whole app does with the same requests is tested end to end in commands, shortcut and transcript-files.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HomeTab } from '../src/home/index.ts';
import { en } from '../src/i18n/en.ts';
import { exportTranscript } from '../src/listeners/actions/export-transcript.ts';
import { usage } from '../src/listeners/commands/subcommands.ts';
import { transcribeCommand } from '../src/listeners/commands/transcribe.ts';
import { fileShared } from '../src/listeners/events/file-share.ts';
import type { ListenerDeps } from '../src/listeners/index.ts';
import { createLogger } from '../src/log.ts';
import type { Pipeline } from '../src/pipeline/index.ts';
import { Channels } from '../src/records/channels.ts';
import { UserLanguages } from '../src/slack/users.ts';
import { memoryStore } from '../src/store/memory.ts';
import type { Workspaces } from '../src/workspaces/index.ts';
import { Settings } from '../src/workspaces/settings.ts';
import { fileShareEvent, iosVoiceClip, TEAM_ID } from './fixtures/slack-payloads.ts';

const CLIP = iosVoiceClip('https://files.slack.test', { id: 'F0AUDIO1' });

/** What a listener gave Bolt: its acknowledgement and its later answers. */
interface Said {
  acks: unknown[];
  responses: unknown[];
}

interface Submitted {
  message: { workspace: string; channel: string; ts: string; threadTs?: string; user?: string };
  files: { id: string }[];
}

let said: Said;
let submitted: Submitted[];
let exported: { workspace: string; value: string; format: string }[];
let deps: ListenerDeps;

beforeEach(() => {
  said = { acks: [], responses: [] };
  submitted = [];
  exported = [];
  const store = memoryStore();
  const channels = new Channels(store);
  const pipeline = {
    channels,
    // The workspace transcribes automatically; a channel's own choice wins (src/pipeline/index.ts has the real rule).
    autoRule: async (workspace: string, channel: string) => {
      const choice = await channels.choice(workspace, channel);
      return choice ? { on: choice === 'on', by: 'channel' } : { on: true, by: 'workspace' };
    },
    intake: {
      submit: async (message: Submitted['message'], files: Submitted['files']) => {
        submitted.push({ message, files });
        return files.map(() => ({ status: 'queued' as const }));
      },
    },
    exports: {
      export: async (workspace: string, value: string, format: string) => {
        exported.push({ workspace, value, format });
        return { status: 'nothing' as const };
      },
    },
  } as unknown as Pipeline;
  deps = {
    pipeline,
    workspaces: { slack: async () => undefined } as unknown as Workspaces,
    store,
    settings: new Settings(store, { lang: 'en', retentionDays: 14 }),
    home: {} as unknown as HomeTab,
    languages: new UserLanguages(async () => undefined, store, 'en'),
    lang: 'en',
    provider: 'OMICall',
    log: createLogger({ level: 'error', format: 'json', write: () => undefined }),
  };
});

/** Bolt's `ack` and `respond`, recording what they are given. */
const bolt = () => ({
  ack: async (answer?: unknown) => void said.acks.push(answer),
  respond: async (answer: unknown) => {
    said.responses.push(answer);
    return undefined;
  },
  context: { teamId: TEAM_ID, botId: 'B0APP', isEnterpriseInstall: false },
});

/** Work a listener leaves for after its acknowledgement (`afterAck`) runs on the next turns of the event loop. */
const afterAcks = () => new Promise((resolve) => setTimeout(resolve, 20));

function command(text: string) {
  const args = {
    ...bolt(),
    command: {
      token: 'legacy',
      team_id: TEAM_ID,
      team_domain: 'acme',
      channel_id: 'C0SALES01',
      channel_name: 'sales',
      user_id: 'UALICE01',
      user_name: 'alice',
      command: '/transcribe',
      text,
      api_app_id: 'A0001',
      response_url: 'https://hooks.slack.test/commands/1',
      trigger_id: 'trigger.1',
    },
  };
  return transcribeCommand(deps)(args as unknown as SlackCommandMiddlewareArgs & AllMiddlewareArgs);
}

describe('/transcribe, called as Bolt calls it', () => {
  it('help is the acknowledgement itself, seen only by the asker, with every subcommand line', async () => {
    await command('help');
    expect(said.acks).toEqual([{ response_type: 'ephemeral', text: usage(en) }]);
    expect(said.responses).toEqual([]);
  });

  it('a word it does not know gets the help too', async () => {
    await command('xin chào');
    expect(said.acks).toEqual([{ response_type: 'ephemeral', text: usage(en) }]);
  });

  it('on and off are stored for the channel before the acknowledgement says so', async () => {
    await command('off');
    expect(said.acks).toEqual([{ response_type: 'ephemeral', text: en.autoOff }]);
    expect(await deps.pipeline.channels.choice(TEAM_ID, 'C0SALES01')).toBe('off');
    await command('ON');
    expect(await deps.pipeline.channels.choice(TEAM_ID, 'C0SALES01')).toBe('on');
  });
});

describe('a file shared, called as Bolt calls it', () => {
  const event = (extra: Record<string, unknown> = {}) => ({
    ...bolt(),
    event: {
      ...fileShareEvent({ channel: 'C0SALES01', ts: '1712345678.000100', files: [CLIP] }),
      ...extra,
    },
  });
  const share = (args: ReturnType<typeof event>) =>
    fileShared(deps)(args as unknown as Parameters<ReturnType<typeof fileShared>>[0]);

  it('hands the message and its files to the intake, and returns once it has them', async () => {
    await share(event());
    expect(submitted).toEqual([
      {
        message: {
          workspace: TEAM_ID,
          channel: 'C0SALES01',
          ts: '1712345678.000100',
          threadTs: undefined,
          user: 'UALICE01',
        },
        files: [CLIP],
      },
    ]);
  });

  it('a thread reply also sent to the channel (thread_broadcast) keeps its thread', async () => {
    await share(event({ subtype: 'thread_broadcast', thread_ts: '1712345000.000100' }));
    expect(submitted[0]?.message.threadTs).toBe('1712345000.000100');
  });

  it("ignores edits, the app's own messages, and channels that switched it off", async () => {
    await share(event({ subtype: 'message_changed' }));
    await share(event({ bot_id: 'B0APP' }));
    await deps.pipeline.channels.choose(TEAM_ID, 'C0SALES01', false);
    await share(event());
    expect(submitted).toEqual([]);
  });
});

describe('a download button, called as Bolt calls it', () => {
  it('acknowledges first, then asks for the file and tells only the presser when there is nothing to export', async () => {
    const action = {
      type: 'button',
      action_id: 'export_transcript:srt',
      block_id: 'exports',
      value: 'v1.memo',
      text: { type: 'plain_text', text: '.srt' },
      action_ts: '1712345680.000200',
    };
    const args = {
      ...bolt(),
      action,
      body: {
        type: 'block_actions',
        team: { id: TEAM_ID, domain: 'acme' },
        user: { id: 'UALICE01' },
        actions: [action],
      },
    };
    await exportTranscript(deps)(args as unknown as SlackActionMiddlewareArgs & AllMiddlewareArgs);
    expect(said.acks).toEqual([undefined]);
    expect(exported).toEqual([]);
    await afterAcks();
    expect(exported).toEqual([{ workspace: TEAM_ID, value: 'v1.memo', format: 'srt' }]);
    expect(said.responses).toEqual([{ response_type: 'ephemeral', text: en.exportNothing, replace_original: false }]);
  });
});
