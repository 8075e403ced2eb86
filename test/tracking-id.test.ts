/**
 * The tracking ID the webhook trusts a callback by (workspace, channel, message ts, file, thread ts or "-", the time
 * it was issued in base-36 seconds, an HMAC-SHA256 tag): its exact form, what it carries, and every way a changed or
 * foreign one is refused.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { replyThreadTs, signTrackingId, tsSeconds, verifyTrackingId } from '../src/records/tracking-id.ts';

const KEY = 'tracking-key-for-tests-0123456789';
const REF = { workspace: 'T0WORK01', channel: 'C0123ABC', ts: '1712345678.000100', fileId: 'F0456DEF' };
const W = REF.workspace;
const ISSUED = 1712345678;

/** A tag as the app computes it, for IDs built by hand. */
const tag = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('hex').slice(0, 24);

describe('a tracking ID', () => {
  it('reads as docs/architecture.md shows, and reads back to where it belongs and when it was asked for', () => {
    const id = signTrackingId(REF, ISSUED + 0.9, KEY);
    const body = `T0WORK01_C0123ABC_1712345678.000100_F0456DEF_-_${ISSUED.toString(36)}`;
    expect(ISSUED.toString(36)).toBe('sbhidq');
    expect(id).toBe(`${body}_${tag(body)}`);
    expect(verifyTrackingId(id, KEY)).toEqual({ ref: REF, issuedAt: ISSUED });
  });

  it('carries the thread of a memo shared in a thread; a thread ts equal to the message ts is "-"', () => {
    const inThread = { ...REF, threadTs: '1712340000.000001' };
    const id = signTrackingId(inThread, ISSUED, KEY);
    expect(id.split('_')[4]).toBe('1712340000.000001');
    expect(verifyTrackingId(id, KEY)).toEqual({ ref: inThread, issuedAt: ISSUED });
    expect(replyThreadTs(inThread)).toBe('1712340000.000001');
    expect(replyThreadTs(REF)).toBe(REF.ts);

    const own = signTrackingId({ ...REF, threadTs: REF.ts }, ISSUED, KEY);
    expect(own.split('_')[4]).toBe('-');
    expect(verifyTrackingId(own, KEY)?.ref).toEqual(REF);
  });

  it('is refused when anything in it was changed, or another key signed it', () => {
    const id = signTrackingId(REF, ISSUED, KEY);
    expect(verifyTrackingId(id, 'another-key-another-key-another-k')).toBeUndefined();
    const parts = id.split('_');
    for (let i = 0; i < parts.length; i++) {
      const changed = [...parts];
      changed[i] =
        i === 2 || i === 4
          ? '1712345679.000100'
          : i === 6
            ? parts[6].replace(/^./, (c) => (c === '0' ? '1' : '0'))
            : `${parts[i]}0`;
      expect(verifyTrackingId(changed.join('_'), KEY), `part ${i} changed`).toBeUndefined();
    }
    expect(verifyTrackingId(id.toUpperCase(), KEY)).toBeUndefined();
    expect(verifyTrackingId(id.slice(0, -1), KEY)).toBeUndefined();
    expect(verifyTrackingId(`${id}0`, KEY)).toBeUndefined();
    for (const odd of [undefined, null, 42, {}, '', 'T1_C1_1.1_F1_-_0_000000000000000000000000']) {
      expect(verifyTrackingId(odd, KEY)).toBeUndefined();
    }
  });

  it('is refused when it does not have the exact form, even with a tag over the whole of it', () => {
    const forms = [
      // Something before or after the fields.
      `x${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq_extra`,
      // Lower-case IDs, a ts without its fraction, a time too long, a thread that is not a ts.
      `${W}_c0123abc_${REF.ts}_${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}_f0456def_-_sbhidq`,
      `${W}_${REF.channel}_1712345678_${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_.000100_${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_1712345678._${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_x_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_1712340000_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq12345`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_`,
      `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_SBMVEM`,
      `${W}__${REF.ts}_${REF.fileId}_-_sbhidq`,
      `${W}_${REF.channel}_${REF.ts}__-_sbhidq`,
      // No workspace, a lower-case one, one that is not a team or an org, or a channel where it belongs.
      `${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`,
      `t0work01_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`,
      `U0WORK01_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`,
      `_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`,
    ];
    for (const body of forms) {
      expect(verifyTrackingId(`${body}_${tag(body)}`, KEY), body).toBeUndefined();
    }
    // A tag of the wrong length or case.
    const body = `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_sbhidq`;
    const full = createHmac('sha256', KEY).update(body).digest('hex');
    for (const t of [full.slice(0, 23), full.slice(0, 25), full.slice(0, 24).toUpperCase()]) {
      expect(verifyTrackingId(`${body}_${t}`, KEY)).toBeUndefined();
    }
    // One character after a tag that signs everything before that character's own last 25.
    expect(verifyTrackingId(`${body}_${tag(`${body}_`)}x`, KEY)).toBeUndefined();
    // Times of one to ten base-36 digits are read.
    for (const time of ['1', 'zzzzzzzzzz']) {
      const b = `${W}_${REF.channel}_${REF.ts}_${REF.fileId}_-_${time}`;
      expect(verifyTrackingId(`${b}_${tag(b)}`, KEY)?.issuedAt).toBe(Number.parseInt(time, 36));
    }
  });

  it('is read up to 200 characters, not beyond', () => {
    const sized = (length: number) => {
      const short = signTrackingId({ ...REF, channel: 'C' }, ISSUED, KEY);
      return signTrackingId({ ...REF, channel: `C${'0'.repeat(length - short.length)}` }, ISSUED, KEY);
    };
    expect(sized(200)).toHaveLength(200);
    expect(verifyTrackingId(sized(200), KEY)?.issuedAt).toBe(ISSUED);
    expect(verifyTrackingId(sized(201), KEY)).toBeUndefined();
  });

  it('carries an Enterprise Grid org as its workspace as well as a team', () => {
    const org = { ...REF, workspace: 'E0ORG001' };
    expect(verifyTrackingId(signTrackingId(org, ISSUED, KEY), KEY)?.ref.workspace).toBe('E0ORG001');
  });

  it('a Slack ts reads as whole seconds', () => {
    expect(tsSeconds('1712345678.999999')).toBe(1712345678);
    expect(tsSeconds('1712345678.000100')).toBe(1712345678);
  });
});
