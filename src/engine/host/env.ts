/** The environment a benchmark or build sees: only allowlisted variables,
 * and never anything that looks like a credential, even if allowlisted. */

/** Names that are dropped whatever the allowlist says. */
const DENY: readonly RegExp[] = [
  /^GITHUB_/,
  /^ACTIONS_/,
  /^RUNNER_/,
  /^INPUT_/,
  /^LD_/,
  /TOKEN/i,
  /SECRET/i,
  /PASSWORD|PASSWD/i,
  /CREDENTIAL/i,
  /PRIVATE/i,
  /API_?KEY/i,
  /AUTH/i,
  /SESSION/i,
  /COOKIE/i,
];

export function isDenied(name: string): boolean {
  return DENY.some((re) => re.test(name));
}

/** Builds a scrubbed environment: allowlisted names from `source` that are
 * not denied, then `set` (perfgate's and the config's own settings, which
 * may include LD_* or PGALLOC_* variables on purpose). */
export function scrubEnv(
  source: NodeJS.ProcessEnv,
  allow: readonly string[],
  set: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allow) {
    const v = source[name];
    if (v !== undefined && !isDenied(name)) env[name] = v;
  }
  // The runner kills, after the job, every process carrying its tracking id:
  // a last line of defence against anything a build or benchmark left behind.
  if (source.RUNNER_TRACKING_ID) env.RUNNER_TRACKING_ID = source.RUNNER_TRACKING_ID;
  return { ...env, ...set };
}

/** Variables a build may also need (compilers honour these). */
export const BUILD_ENV_ALLOW: readonly string[] = ['CC', 'CXX', 'CFLAGS', 'CXXFLAGS', 'LDFLAGS', 'CPPFLAGS', 'MAKEFLAGS'];
