import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveSecret } from '../../src/config.ts';
import type { OmicallStandIn } from '../stand-ins/omicall.ts';
import { API_KEY } from '../stand-ins/omicall.ts';
import type { SlackStandIn } from '../stand-ins/slack.ts';
import { BOT_TOKEN } from '../stand-ins/slack.ts';
import { waitFor } from './harness.ts';
import { freePort, mutantEnv } from './process.ts';
import { SIGNING_SECRET } from './slack-requests.ts';

/** The real app in a process of its own, as `npm start` runs it, pointed at the stand-ins. */
export interface AppProcess {
  child: ChildProcess;
  url: string;
  webhookUrl: string;
  /** Everything it wrote, stdout and stderr. */
  output(): string;
  /** Its JSON log lines. */
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
  /** A real signal: SIGKILL leaves no chance to clean up. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export async function startAppProcess(
  standIns: { slack: Pick<SlackStandIn, 'apiUrl'>; omicall: Pick<OmicallStandIn, 'apiUrl'> },
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  const port = await freePort();
  // The embedded store goes in a folder of its own, removed when the process ends, unless the test gives one (a
  // restart on the same data).
  const own = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'transcriber-data-'));
  const child = spawn(process.execPath, ['--max-semi-space-size=4', ...(options.nodeArgs ?? []), 'src/index.ts'], {
    env: {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      SLACK_API_URL: standIns.slack.apiUrl,
      OMICALL_API_URL: standIns.omicall.apiUrl,
      PUBLIC_URL: 'https://transcriber.test',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ...mutantEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (own) rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    // The "listening" line, in JSON (`"msg":"listening"`) or in the pretty format (`INFO  listening`).
    waitFor(() => /"listening"| listening /.test(output), 20_000, `the app to listen:\n${output}`),
    exited.then((code) => {
      throw new Error(`the app exited with ${code}:\n${output}`);
    }),
  ]);
  return {
    child,
    url,
    webhookUrl: `${url}/omicall/webhook/${env.OMICALL_WEBHOOK_SECRET ?? deriveSecret(SIGNING_SECRET, 'omicall-webhook')}`,
    output: () => output,
    logs: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    kill: async (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}
