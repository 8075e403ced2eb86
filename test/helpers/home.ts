import { expect } from 'vitest';
import { ACTIONS, SETTING_INPUT, VIEWS } from '../../src/slack/ids.ts';
import {
  appHomeOpenedEvent,
  eventCallback,
  type Person,
  viewButtonPress,
  viewPayload,
  viewSubmission,
} from '../fixtures/slack-payloads.ts';
import type { SlackView } from '../stand-ins/slack.ts';
import { type Harness, waitFor } from './harness.ts';
import { postInteraction, postSigned, type SlackPost } from './slack-requests.ts';

/** Someone, as interaction payloads name them. */
export const person = (id: string): Pick<Person, 'id' | 'name'> => ({ id, name: id.toLowerCase() });

/** Slack's event when `user` opens the app's Home tab; resolves with the view published for them after it. */
export async function openHome(h: Harness, user: string, tab: 'home' | 'messages' = 'home'): Promise<SlackView> {
  const before = h.slack.published.filter((p) => p.user === user).length;
  const current = h.slack.homeViews.get(user);
  const event = appHomeOpenedEvent({ user, tab, ...(current ? { view: viewPayload(current) } : {}) });
  const res = await postSigned(h.url, JSON.stringify(eventCallback(event)), 'application/json');
  expect(res.status).toBe(200);
  const published = await waitFor(
    () => h.slack.published.filter((p) => p.user === user)[before],
    5000,
    `the Home tab of ${user}`,
  );
  return published.view;
}

/** Everything a view says, as one text: headers, sections, context, buttons. */
export function viewText(view: SlackView | undefined): string {
  const texts: string[] = [];
  for (const block of view?.blocks ?? []) {
    const b = block as {
      text?: { text?: string };
      accessory?: { text?: { text?: string } };
      elements?: { text?: string | { text?: string } }[];
      label?: { text?: string };
      hint?: { text?: string };
    };
    if (b.text?.text) texts.push(b.text.text);
    if (b.accessory?.text?.text) texts.push(b.accessory.text.text);
    if (b.label?.text) texts.push(b.label.text);
    if (b.hint?.text) texts.push(b.hint.text);
    for (const e of b.elements ?? []) {
      const t = typeof e.text === 'string' ? e.text : e.text?.text;
      if (t) texts.push(t);
    }
  }
  return texts.join('\n');
}

/** The action ids of a view's buttons. */
export function viewButtons(view: SlackView | undefined): string[] {
  return (view?.blocks ?? []).flatMap((block) => {
    const b = block as {
      accessory?: { type?: string; action_id?: string };
      elements?: { type?: string; action_id?: string }[];
    };
    return [b.accessory, ...(b.elements ?? [])]
      .filter((e) => e?.type === 'button' && typeof e.action_id === 'string')
      .map((e) => String(e?.action_id));
  });
}

/** `user` presses a button of their Home tab; resolves with Slack's answer. */
export function pressHomeButton(h: Harness, user: string, actionId: string): Promise<SlackPost> {
  const view = h.slack.homeViews.get(user);
  if (!view) throw new Error(`${user} has no Home tab`);
  return postInteraction(h.url, viewButtonPress({ view: viewPayload(view), actionId, user: person(user) }));
}

/** The modal opened for a button press, once it is. */
export function openedModal(h: Harness, callbackId: string, after = 0): Promise<SlackView> {
  return waitFor(
    () => h.slack.modals.slice(after).find((m) => m.view.callback_id === callbackId)?.view,
    5000,
    `the modal ${callbackId}`,
  );
}

/** `user` submits a modal with these values; resolves with Slack's answer, its body read as JSON (or {}). */
export async function submitModal(
  h: Harness,
  user: string,
  view: SlackView,
  values: Record<string, Record<string, unknown>>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postInteraction(h.url, viewSubmission({ view, values, user: person(user) }));
  return { status: res.status, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

/**
 * A workspace admin changes a setting as they would: opens their Home tab, presses the setting's button, submits the
 * modal with `value` (a `view.state.values` entry: numberValue, choiceValue).
 */
export async function chooseSetting(
  h: Harness,
  setting: 'auto' | 'lang' | 'retention' | 'budget',
  value: Record<string, unknown>,
  admin = 'UADMIN01',
): Promise<void> {
  h.slack.admins.add(admin);
  if (!h.slack.homeViews.has(admin)) await openHome(h, admin);
  const before = h.slack.modals.length;
  expect((await pressHomeButton(h, admin, `${ACTIONS.settingPrefix}${setting}`)).status).toBe(200);
  const modal = await openedModal(h, `${VIEWS.settingPrefix}${setting}`, before);
  const res = await submitModal(h, admin, modal, { [SETTING_INPUT.block]: { [SETTING_INPUT.action]: value } });
  expect(res).toEqual({ status: 200, body: {} });
}
