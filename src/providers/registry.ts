import type { ProviderModule } from './index.ts';
import { omicall } from './omicall/index.ts';

/** The speech providers SPEECH_PROVIDER may name, one line each; the first is the default. */
export const PROVIDERS: readonly ProviderModule[] = [omicall];

export type { ProviderModule, ProviderSetup } from './index.ts';
