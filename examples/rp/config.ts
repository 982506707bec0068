/**
 * The example relying party's configuration, read from environment variables. Every problem is
 * reported at once, with the variable's name and what it should hold, before anything starts.
 */

/** What the example needs to talk to a Watashi OpenID Provider. */
export interface RpConfig {
  /** The OP's issuer URL (`http://localhost:8780/oidc` under `npm start`). */
  readonly issuer: URL;
  /** The client_id printed by `watashi rp add`. */
  readonly clientId: string;
  /** The client secret printed once by `watashi rp add --auth client_secret_basic`. */
  readonly clientSecret: string;
  /** The redirect URI registered with `--redirect-uri`; its path is the callback route. */
  readonly redirectUri: URL;
  /** Where to send the browser after RP-initiated logout (registered with `--post-logout-redirect-uri`). */
  readonly postLogoutRedirectUri: URL;
  /** TCP port to listen on. */
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  /** Scopes asked for at login. */
  readonly scope: string;
  /** The acr asked for by the "log in at a higher level" button (OIDC Core §3.1.2.1 `acr_values`). */
  readonly stepUpAcr: string;
}

/** The variables, each with its meaning, as printed on a configuration error. */
export const VARIABLES = {
  RP_ISSUER: 'issuer URL of the Watashi OP, e.g. http://localhost:8780/oidc',
  RP_CLIENT_ID: 'client_id printed by `npx watashi rp add`',
  RP_CLIENT_SECRET: 'client secret printed (once) by `npx watashi rp add --auth client_secret_basic`',
  RP_REDIRECT_URI: 'redirect URI registered for this client (default http://localhost:8788/callback)',
  RP_POST_LOGOUT_REDIRECT_URI:
    'post-logout redirect URI registered for this client (default: <redirect URI origin>/)',
  RP_PORT: 'port to listen on (default: the redirect URI port)',
  RP_HOST: 'interface to listen on (default 127.0.0.1)',
  RP_SCOPE: 'scopes to ask for (default "openid profile age")',
  RP_STEP_UP_ACR: 'acr asked for by the step-up button (default urn:watashi:ac:jp:ial3-aal2)',
} as const;

/** A configuration that cannot be used; `problems` names each variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`example RP configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when `u` is http on a loopback host (development only) or https anywhere. */
const acceptableScheme = (u: URL): boolean =>
  u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));

/** Reads the configuration from `env`; throws {@link ConfigError} listing every problem. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): RpConfig {
  const problems: string[] = [];
  const required = (name: keyof typeof VARIABLES): string => {
    const v = env[name]?.trim();
    if (v === undefined || v === '') {
      problems.push(`${name} is missing: ${VARIABLES[name]}`);
      return '';
    }
    return v;
  };
  const url = (name: keyof typeof VARIABLES, value: string): URL | undefined => {
    if (value === '') return undefined;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      problems.push(`${name} is not a URL: ${JSON.stringify(value)}`);
      return undefined;
    }
    // RFC 6749 §3.1.2.1 / OAuth 2.0 Security BCP: http only for a local development setup.
    if (!acceptableScheme(u)) problems.push(`${name} must be https (http only on localhost): ${value}`);
    return u;
  };

  const issuer = url('RP_ISSUER', required('RP_ISSUER'));
  const clientId = required('RP_CLIENT_ID');
  const clientSecret = required('RP_CLIENT_SECRET');
  const redirectUri = url('RP_REDIRECT_URI', env['RP_REDIRECT_URI'] ?? 'http://localhost:8788/callback');
  if (redirectUri !== undefined && (redirectUri.search !== '' || redirectUri.hash !== ''))
    problems.push('RP_REDIRECT_URI must have no query or fragment');
  const postLogout = url(
    'RP_POST_LOGOUT_REDIRECT_URI',
    env['RP_POST_LOGOUT_REDIRECT_URI'] ?? (redirectUri === undefined ? '' : `${redirectUri.origin}/`),
  );
  const portText = env['RP_PORT'] ?? redirectUri?.port ?? '';
  const port = Number(portText === '' ? (redirectUri?.protocol === 'https:' ? 443 : 80) : portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`RP_PORT must be a port number (0–65535): ${JSON.stringify(portText)}`);

  if (problems.length > 0 || issuer === undefined || redirectUri === undefined || postLogout === undefined)
    throw new ConfigError(problems);
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    postLogoutRedirectUri: postLogout,
    port,
    host: env['RP_HOST'] ?? '127.0.0.1',
    scope: env['RP_SCOPE'] ?? 'openid profile age',
    stepUpAcr: env['RP_STEP_UP_ACR'] ?? 'urn:watashi:ac:jp:ial3-aal2',
  };
}
