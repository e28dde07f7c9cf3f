// Small, strict readers for environment variables. Each failure names the variable, so a
// typo in a deployment stops the server at start instead of running with a surprise.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** The value, or undefined when unset or blank (an empty export means "use the default"). */
export function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `expected a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `expected ${min}..${max}, got ${n}`);
  return n;
}

/** Only "1" and "0" are accepted: a flag that loosens security must be unmistakable. */
export function readFlag(env: Env, name: string): boolean {
  const value = raw(env, name);
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw new ConfigError(name, `expected "1" or "0", got "${value}"`);
}

export function readUrl(
  env: Env,
  name: string,
  fallback: string | undefined,
  protocols: readonly string[],
  hint = '',
): URL | undefined {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `not a URL: "${value}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${url.protocol}"${hint}`);
  }
  return url;
}
