import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What an operator graphs and alerts on, in Prometheus' text format at `GET /metrics` (prom-client, the
 * client Prometheus' own docs list for Node). Labels are small fixed sets (states, outcomes, error names the
 * provider sends); no tracking ID, channel, user or secret ever becomes a label.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Jobs entering each state. */
  jobs: Counter<'state'>;
  /** Relays from start to the provider's answer, by outcome. */
  relaySeconds: Histogram<'outcome'>;
  /** The provider's answers to uploads: `ok`, or its error name. */
  providerAnswers: Counter<'provider' | 'answer'>;
  /** Webhook callbacks by outcome. */
  callbacks: Counter<'outcome'>;
  /** From a callback's arrival to the thread reply showing it. */
  callbackToUpdateSeconds: Histogram;
  /** Slack's 429 answers, by Web API method. */
  slackRateLimited: Counter<'method'>;
  /** Minutes of audio the provider accepted to transcribe, every workspace together (no workspace or channel label). */
  audioMinutes: Counter;
}

/** `installed`: how many workspaces have the app installed (a count: no workspace is ever named). */
export function createMetrics(queueCounts: () => Promise<object>, installed?: () => Promise<number>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'transcriber_' });
  new Gauge({
    name: 'transcriber_queue_jobs',
    help: 'Relay jobs in the queue, by queue state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        for (const [state, n] of Object.entries(await queueCounts())) if (typeof n === 'number') this.set({ state }, n);
      } catch {
        // The queue's store is unreachable: the gauge keeps its last values; /healthz says why.
      }
    },
  });
  if (installed) {
    new Gauge({
      name: 'transcriber_workspaces_installed',
      help: 'Workspaces (and Enterprise Grid orgs) that have the app installed',
      registers: [registry],
      async collect() {
        try {
          this.set(await installed());
        } catch {
          // The store is unreachable: the gauge keeps its last value; /healthz says why.
        }
      },
    });
  }
  return {
    registry,
    jobs: new Counter({
      name: 'transcriber_jobs_total',
      help: 'Transcription jobs entering each state',
      labelNames: ['state'],
      registers: [registry],
    }),
    relaySeconds: new Histogram({
      name: 'transcriber_relay_duration_seconds',
      help: 'Time from the start of a relay to the provider accepting or refusing it',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    providerAnswers: new Counter({
      name: 'transcriber_provider_answers_total',
      help: "The speech provider's answers to uploads: ok, or its error name",
      labelNames: ['provider', 'answer'],
      registers: [registry],
    }),
    callbacks: new Counter({
      name: 'transcriber_callbacks_total',
      help: 'Webhook callbacks by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    callbackToUpdateSeconds: new Histogram({
      name: 'transcriber_callback_to_update_seconds',
      help: 'Time from a callback arriving to the thread reply showing it',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    slackRateLimited: new Counter({
      name: 'transcriber_slack_rate_limited_total',
      help: "Slack's 429 answers (rate limited), by Web API method",
      labelNames: ['method'],
      registers: [registry],
    }),
    audioMinutes: new Counter({
      name: 'transcriber_audio_minutes_total',
      help: 'Minutes of audio the speech provider accepted to transcribe',
      registers: [registry],
    }),
  };
}
