import { afterEach, describe, expect, it, vi } from 'vitest';
import { boltLogger, createLogger, type Logger, onceIn } from '../src/log.ts';

/**
 * The lines an operator reads: their shape in production (JSON) and development (pretty), which levels show, and
 * what never appears in them (secrets, Slack tokens). The logger is the rule, so it is driven directly.
 */

function capture(options: {
  level?: 'debug' | 'info' | 'warn' | 'error';
  format?: 'json' | 'pretty';
  secrets?: string[];
}) {
  const lines: string[] = [];
  const log = createLogger({
    level: options.level ?? 'debug',
    format: options.format ?? 'json',
    secrets: options.secrets,
    write: (l) => lines.push(l),
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('production lines (JSON)', () => {
  it('one object per line: time, level, message, the context and the fields; errors as name and message', () => {
    const { log, records } = capture({});
    const child = log.child({ component: 'relay' }).child({ trackingId: 'T1' });
    child.debug('d');
    child.info('i', { n: 1 });
    child.warn('w');
    child.error('e', { error: new TypeError('boom') });
    const [d, i, w, e] = records();
    expect(d).toMatchObject({ level: 'debug', msg: 'd', component: 'relay', trackingId: 'T1' });
    expect(i).toMatchObject({ level: 'info', msg: 'i', n: 1 });
    expect(w).toMatchObject({ level: 'warn', msg: 'w' });
    expect(e).toMatchObject({ level: 'error', msg: 'e', error: { name: 'TypeError', message: 'boom' } });
    expect(String(d.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('shows only lines at or above LOG_LEVEL', () => {
    const { log, records } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(records().map((r) => r.level)).toEqual(['warn', 'error']);
  });
});

describe('where lines go', () => {
  it('to standard output, one line each, when nothing else is said (as Heroku and Docker collect them)', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      createLogger({ level: 'info', format: 'json' }).info('listening', { port: 3000 });
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\{.*"msg":"listening".*\}\n$/);
  });
});

describe('secrets in a line', () => {
  it('are replaced wherever they appear, from 6 characters on; shorter values are left alone', () => {
    const { log, lines } = capture({ secrets: ['s3cr3t', 'abc12'] });
    log.info('key s3cr3t and abc12', { nested: { url: 'https://x.test/hook/s3cr3t' } });
    expect(lines[0]).toContain('key [redacted] and abc12');
    expect(lines[0]).toContain('https://x.test/hook/[redacted]');
    expect(lines[0]).not.toContain('s3cr3t');
  });

  it('any Slack token is replaced whole, even one the app was not given', () => {
    const { log, lines } = capture({});
    const tokens = ['xoxb-1-2-abc', 'xoxp-11-22-33-ffee', 'xoxa-2-x', 'xoxr-9-y', 'xoxs-1-z', 'xoxo-7-q'];
    log.warn(`slack said: ${tokens.join(' ')} end`);
    expect(JSON.parse(lines[0]).msg).toBe(`slack said: ${tokens.map(() => '[redacted]').join(' ')} end`);
    log.warn('xoxz-1-2 is no token; xoxb- alone neither');
    expect(JSON.parse(lines[1]).msg).toBe('xoxz-1-2 is no token; xoxb- alone neither');
  });
});

describe('development lines (pretty)', () => {
  it('time, level, message, then the fields; strings as they are, the rest as JSON; scrubbed too', () => {
    const { log, lines } = capture({ format: 'pretty', secrets: ['s3cr3t'] });
    log.info('bare');
    log.warn('with fields', { who: 'me', n: 2, error: new Error('oops s3cr3t') });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}bare$/);
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}with fields {2}who=me n=2 error=\{"name":"Error","message":"oops \[redacted\]"\}$/,
    );
  });
});

describe("Bolt's lines", () => {
  function bolt(level: 'debug' | 'info') {
    const { log, records } = capture({ level: 'debug' });
    return { b: boltLogger(log, level), records };
  }

  it('go through the app logger, marked as Bolt, parts joined with spaces, objects as JSON', () => {
    const { b, records } = bolt('info');
    b.info('http', { status: 200 }, 3);
    b.warn('slow');
    b.error('failed', new Error('x'));
    expect(records()).toMatchObject([
      { level: 'info', component: 'bolt', msg: 'http {"status":200} 3' },
      { level: 'warn', component: 'bolt', msg: 'slow' },
      { level: 'error', component: 'bolt', msg: 'failed {"name":"Error","message":"x"}' },
    ]);
  });

  it('debug lines only when LOG_LEVEL=debug', () => {
    const quiet = bolt('info');
    quiet.b.debug('request');
    expect(quiet.records()).toEqual([]);
    const loud = bolt('debug');
    loud.b.debug('request', 'body');
    expect(loud.records()).toMatchObject([{ level: 'debug', component: 'bolt', msg: 'request body' }]);
  });
});

describe('a warning that repeats', () => {
  it('is written once, then once per interval with how many were left out; each message on its own', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    const { log, records } = capture({});
    const warn = onceIn(10_000, log as Logger);
    warn('redis away', { host: 'r' });
    warn('queue error');
    vi.setSystemTime(1_000_000 + 9_999);
    warn('redis away', { host: 'r' });
    warn('redis away', { host: 'r' });
    vi.setSystemTime(1_000_000 + 10_000);
    warn('redis away', { host: 'r' });
    vi.setSystemTime(1_000_000 + 20_000);
    warn('redis away', { host: 'r' });
    expect(records().map(({ msg, host, repeated }) => ({ msg, host, repeated }))).toEqual([
      { msg: 'redis away', host: 'r', repeated: undefined },
      { msg: 'queue error', host: undefined, repeated: undefined },
      { msg: 'redis away', host: 'r', repeated: 2 },
      { msg: 'redis away', host: 'r', repeated: undefined },
    ]);
    expect(records().every((r) => r.level === 'warn')).toBe(true);
  });
});
