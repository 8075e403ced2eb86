import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, types } from '@slack/bolt';
import { type KeyRefusal, type KeyShown, type Lang, messages } from '../../i18n/index.ts';
import { LIMITS } from '../../limits.ts';
import { KEY_INPUT, VIEWS } from '../../slack/ids.ts';
import type { KeyOutcome } from '../../workspaces/index.ts';
import { workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

type ModalView = types.ModalView;

/**
 * The modal where an admin sets the workspace's provider key: what is in use now (only a key's last four characters
 * and when it was set, never the key), one text field, and what saving does to the key's webhook, which the provider
 * shares with its Voice Insights product.
 */
export function keyModal(state: KeyShown, lang: Lang, provider: string): ModalView {
  const t = messages(lang).keyModal;
  return {
    type: 'modal',
    callback_id: VIEWS.omicallKey,
    title: { type: 'plain_text', text: t.title },
    submit: { type: 'plain_text', text: t.save },
    close: { type: 'plain_text', text: t.cancel },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: t.current({ ...state, provider }) } },
      {
        type: 'input',
        block_id: KEY_INPUT.block,
        label: { type: 'plain_text', text: t.label({ provider }) },
        hint: { type: 'plain_text', text: t.hint({ provider }) },
        element: {
          type: 'plain_text_input',
          action_id: KEY_INPUT.action,
          placeholder: { type: 'plain_text', text: t.placeholder },
          max_length: LIMITS.providerKeyChars,
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: t.sharedWebhook({ provider }) }] },
    ],
  };
}

/** What someone who is not an admin sees on pressing the key's button (which the Home tab shows admins only). */
export function notAdminModal(lang: Lang, provider: string): ModalView {
  const t = messages(lang).keyModal;
  return {
    type: 'modal',
    title: { type: 'plain_text', text: t.title },
    close: { type: 'plain_text', text: t.close },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: t.notAdmin({ provider }) } }],
  };
}

function savedModal(lang: Lang, provider: string, last4: string): ModalView {
  const t = messages(lang).keyModal;
  return {
    type: 'modal',
    title: { type: 'plain_text', text: t.savedTitle },
    close: { type: 'plain_text', text: t.close },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: t.saved({ last4, provider }) } }],
  };
}

/**
 * The key modal, submitted (`view_submission`): answered within Slack's 3 seconds, in the modal itself. Only a
 * workspace admin or owner, or the installer, may set the key; the key is checked by registering the workspace's
 * webhook with it (src/workspaces/distribution.ts `setKey`), and the provider's refusal shows under the field, with
 * nothing stored. A saved key turns the modal into one that says so, with the key's last four characters only.
 */
export function keySubmitted(deps: ListenerDeps) {
  return async ({ ack, body, context }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    if (body.type !== 'view_submission') return void (await ack());
    const workspace = workspaceOf(context) ?? body.team?.id;
    const user = body.user.id;
    const provider = deps.provider;
    const value = body.view.state.values[KEY_INPUT.block]?.[KEY_INPUT.action]?.value ?? '';
    if (!workspace) return void (await ack());
    const [lang, admin] = await Promise.all([
      within(deps.languages.of(workspace, user), LIMITS.adminCheckMs, deps.lang),
      within(deps.workspaces.isAdmin(workspace, user), LIMITS.adminCheckMs, undefined),
    ]);
    const t = messages(lang).keyModal;
    const refuse = (refusal: KeyRefusal) =>
      ack({ response_action: 'errors', errors: { [KEY_INPUT.block]: t.refusal({ ...refusal, provider }) } });
    if (admin !== true) {
      deps.log.warn('a key submission refused', { workspace, reason: admin === false ? 'not an admin' : 'no answer' });
      return refuse({ why: admin === false ? 'not-admin' : 'not-confirmed' });
    }
    const outcome = await deps.workspaces.setKey(workspace, value, user, AbortSignal.timeout(LIMITS.keyCheckMs));
    if (outcome.status === 'saved') {
      await ack({ response_action: 'update', view: savedModal(lang, provider, outcome.last4) });
      return;
    }
    return refuse(refusalOf(outcome));
  };
}

function refusalOf(outcome: Exclude<KeyOutcome, { status: 'saved' }>): KeyRefusal {
  switch (outcome.status) {
    case 'invalid':
      return { why: outcome.why };
    case 'default-key':
    case 'taken':
    case 'environment':
      return { why: outcome.status };
    case 'refused':
    case 'unreachable':
      return { why: outcome.status, error: outcome.error.replace(/[^\w.-]/g, '_').slice(0, 60) };
  }
}

/** The value, or `fallback` when it takes longer than `ms` (or fails). */
async function within<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}
