import type { Messages } from '../../i18n/index.ts';
import { help } from './help.ts';
import { language } from './language.ts';
import { link } from './link.ts';
import { newest } from './newest.ts';
import { status } from './status.ts';
import type { Subcommand } from './subcommand.ts';
import { switchAuto } from './switch.ts';

/**
 * What `/transcribe` does, one row per subcommand, in the order a request is matched: the first row whose
 * `matches` takes the text runs it; `help` takes anything. `/transcribe help` and the manifest's `usage_hint` are
 * made from this table (test/doctor.test.ts keeps manifest.yml equal). To add a subcommand: a file beside
 * this one exporting a `Subcommand`, a row here, and its help line in each catalogue (`help` in src/i18n/en.ts, vi.ts).
 */
export const SUBCOMMANDS: readonly Subcommand[] = [newest, link, switchAuto, status, language, help];

/** `/transcribe help`: the intro, a line per subcommand, the shortcut. */
export function usage(t: Messages): string {
  return [t.usageIntro, ...SUBCOMMANDS.map((s) => t.help[s.help]), t.usageFooter].join('\n');
}

/** The manifest's `usage_hint`: every subcommand's hint. */
export function usageHint(): string {
  return SUBCOMMANDS.map((s) => s.hint)
    .filter((h) => h !== '')
    .join(' | ');
}
