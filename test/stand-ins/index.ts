import { OmicallStandIn } from './omicall.ts';
import { SlackStandIn } from './slack.ts';

export interface StandIns {
  slack: SlackStandIn;
  omicall: OmicallStandIn;
  close(): Promise<void>;
}

/** Local Slack and OMICall, started together. */
export async function startStandIns(): Promise<StandIns> {
  const slack = await new SlackStandIn().start();
  const omicall = await new OmicallStandIn().start();
  return { slack, omicall, close: async () => void (await Promise.all([slack.close(), omicall.close()])) };
}
