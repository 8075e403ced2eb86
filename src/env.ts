/** The environment, as `process.env` holds it. */
export type Env = Record<string, string | undefined>;

/** Reads variables and collects one problem per bad one, so the app names them all at once. */
export class EnvReader {
  readonly problems: string[] = [];
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  value(name: string): string | undefined {
    const v = this.#env[name]?.trim();
    return v === '' ? undefined : v;
  }

  required(name: string, check: (v: string) => string | undefined, hint: string): string {
    const v = this.value(name);
    if (v === undefined) {
      this.problems.push(`${name} is required: ${hint}`);
      // Stryker disable next-line StringLiteral: never used; a missing required setting stops the start with every problem listed
      return '';
    }
    const bad = check(v);
    if (bad) this.problems.push(`${name} ${bad}`);
    return v;
  }

  /** An http(s) base URL, ending in "/" so that relative paths resolve under it. */
  url(name: string, fallback: string): string {
    const v = this.value(name) ?? fallback;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        this.problems.push(`${name} must be an http(s) URL, got "${v}"`);
      return v.endsWith('/') ? v : `${v}/`;
    } catch {
      this.problems.push(`${name} is not a URL: "${v}"`);
      return fallback;
    }
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const v = this.value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    const found = allowed.find((a) => a === v);
    if (found === undefined) this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return found ?? fallback;
  }
}
