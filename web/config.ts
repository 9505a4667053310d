/**
 * The page's settings: `config.json` next to the page (deployed) or nothing (locally, where the
 * API is the page's own origin).
 *
 * ```json
 * { "apiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com",
 *   "liveUrl": "wss://def.execute-api.eu-west-1.amazonaws.com/live",
 *   "oidc": { "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/<pool>", "clientId": "..." } }
 * ```
 */
export interface OidcSettings {
  /** The issuer; its `/.well-known/openid-configuration` names the endpoints. */
  readonly issuer?: string;
  /** Instead of discovery (Cognito hosted UI: `https://<domain>/oauth2/authorize`). */
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  /**
   * Cognito's `https://<domain>/logout` (it takes `client_id` and `logout_uri`). Without it,
   * sign-out uses the issuer's `end_session_endpoint` when discovery names one.
   */
  readonly logoutEndpoint?: string;
  readonly clientId: string;
  /** @default 'openid' */
  readonly scope?: string;
  /** @default the page's own URL without its query */
  readonly redirectUri?: string;
}

export interface PageConfig {
  /** The API root (the part before `/api/v1`). @default the page's origin */
  readonly apiUrl: string;
  /** The live-progress WebSocket URL. @default the SDK's (`<api>/api/v1/live`) */
  readonly liveUrl?: string;
  /** Hosted sign-in (authorization code with PKCE); without it the page asks for a token. */
  readonly oidc?: OidcSettings;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

export function parseConfig(value: unknown, origin: string): PageConfig {
  const raw = isRecord(value) ? value : {};
  const liveUrl = text(raw.liveUrl);
  const oidcRaw = isRecord(raw.oidc) ? raw.oidc : undefined;
  const clientId = text(oidcRaw?.clientId);
  let oidc: OidcSettings | undefined;
  if (oidcRaw && clientId) {
    const pick = (key: string) => {
      const v = text(oidcRaw[key]);
      return v ? { [key]: v } : {};
    };
    oidc = {
      clientId,
      ...pick('issuer'),
      ...pick('authorizationEndpoint'),
      ...pick('tokenEndpoint'),
      ...pick('logoutEndpoint'),
      ...pick('scope'),
      ...pick('redirectUri'),
    };
  }
  return {
    apiUrl: text(raw.apiUrl) ?? origin,
    ...(liveUrl ? { liveUrl } : {}),
    ...(oidc ? { oidc } : {}),
  };
}

/** Reads `config.json` beside the page; a missing or broken one means the defaults. */
export async function loadConfig(): Promise<PageConfig> {
  try {
    const response = await fetch(new URL('config.json', location.href), { cache: 'no-cache' });
    if (response.ok) return parseConfig(await response.json(), location.origin);
  } catch {
    // no config.json: the defaults
  }
  return parseConfig({}, location.origin);
}
