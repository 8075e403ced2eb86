/**
 * Who may ask for what: a link to a channel the asker cannot read, or to one the app is not in, and the shortcut where
 * the app is not, are answered in plain words and do nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { messages } from '../src/i18n/index.ts';
import { LIMITS } from '../src/limits.ts';
import { speech } from './helpers/audio.ts';
import { permalinkOf, transcribe } from './helpers/commands.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand, postShortcut } from './helpers/slack-requests.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

describe('asking for a memo in another channel', () => {
  it('/transcribe with a link to a channel the asker is not in answers exactly as for a message that does not exist, and does nothing', async () => {
    const app = await start();
    const file = app.slack.addFile({ name: 'private.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = app.slack.nextTs();
    app.slack.addUserMessage({ channel: 'C0SECRET1', ts, user: 'UBOB0001', files: [file] });
    app.slack.channelMembers.set('C0SECRET1', ['UBOB0001', 'UBOT0001']);
    const ask = async (link: string, id: string) => {
      await postCommand(app.url, {
        text: link,
        channel_id: 'C0SALES01',
        response_url: `${app.slack.url}/respond/${id}`,
      });
      return (await waitFor(() => app.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body.text;
    };
    const notAllowed = await ask(`https://acme.slack.com/archives/C0SECRET1/p${ts.replace('.', '')}`, 'secret');
    const missing = await ask(
      `https://acme.slack.com/archives/C0SALES01/p${app.slack.nextTs().replace('.', '')}`,
      'missing',
    );
    expect(notAllowed).toBe(missing);
    await new Promise((r) => setTimeout(r, 300));
    expect(app.omicall.attempts).toBe(0);
    expect(app.slack.messages.filter((m) => m.channel === 'C0SECRET1' && m.bot_id)).toEqual([]);
  });

  it(`in a channel of thousands, /transcribe <link> reads at most ${LIMITS.memberPages} pages of members; beyond them, the asker is treated as an outsider`, async () => {
    const h = await start();
    const crowd = Array.from({ length: 6_000 }, (_, i) => `UCROWD${String(i).padStart(5, '0')}`);
    const listed = LIMITS.memberPages * LIMITS.membersPerPage;
    const memo = (channel: string) => {
      const file = h.slack.addFile({ name: 'crowd.wav', mimetype: 'audio/wav', path: speech('wav') });
      const ts = h.slack.nextTs();
      h.slack.addUserMessage({ channel, ts, user: 'UBOB0001', files: [file] });
      return ts;
    };
    // Alice among the members the pages hold: her memo is transcribed.
    h.slack.channelMembers.set('C0CROWD01', [
      ...crowd.slice(0, listed - 500),
      'UALICE01',
      ...crowd.slice(listed - 500),
    ]);
    const inside = memo('C0CROWD01');
    await transcribe(h, permalinkOf('C0CROWD01', inside));
    await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(inside)), 8000, 'the upload');
    const firstCalls = h.slack.callsOf('conversations.members').length;
    expect(firstCalls).toBe(LIMITS.memberPages);

    // Alice listed after them: the answer an outsider gets, after the same few calls, and nothing uploaded.
    h.slack.channelMembers.set('C0CROWD02', [
      ...crowd.slice(0, listed + 500),
      'UALICE01',
      ...crowd.slice(listed + 500),
    ]);
    const beyond = memo('C0CROWD02');
    const attempts = h.omicall.attempts;
    expect(await transcribe(h, permalinkOf('C0CROWD02', beyond))).toBe(messages('en').notFoundOrNotAllowed);
    expect(h.slack.callsOf('conversations.members').length - firstCalls).toBe(LIMITS.memberPages);
    expect(h.logged('linked memo refused: the asker is not a member').at(-1)).toMatchObject({
      channel: 'C0CROWD02',
      why: 'too_many',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.attempts).toBe(attempts);
  });

  it('/transcribe explains plainly when the link is to a channel the asker is in and the app is not', async () => {
    const h = await start();
    h.slack.privateChannels.add('C0PUBLIC2');
    h.slack.channelMembers.set('C0PUBLIC2', ['UALICE01']);
    const answer = await transcribe(h, permalinkOf('C0PUBLIC2', h.slack.nextTs()));
    expect(answer).toMatch(/not a member of <#C0PUBLIC2>.*\/invite @Transcriber/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('the Transcribe shortcut in a channel the app is not in says so instead of uploading', async () => {
    const app = await start();
    app.slack.privateChannels.add('C0NOTIN01');
    const file = app.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = app.slack.nextTs();
    await postShortcut(app.url, {
      channel: 'C0NOTIN01',
      ts,
      files: [file],
      responseUrl: `${app.slack.url}/respond/notin`,
    });
    const answer = await waitFor(() => app.slack.responses.find((r) => r.path.endsWith('/notin')));
    expect(answer.body.text).toMatch(/not a member of <#C0NOTIN01>.*\/invite @Transcriber/);
    await new Promise((r) => setTimeout(r, 300));
    expect(app.omicall.attempts).toBe(0);
  });
});
