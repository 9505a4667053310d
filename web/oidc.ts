/**
 * Hosted sign-in for a deployed page: the OAuth 2.0 authorization code flow with PKCE (S256), as
 * a public client (no secret). The verifier and state live in sessionStorage for the round trip,
 * and so do the tokens: they last as long as the tab (a reload keeps them, a new tab signs in
 * again, usually without a prompt while the provider's own session lasts). The access token is
 * refreshed with the refresh token when it nears expiry.
 */
import type { OidcSettings } from './config.ts';

const FLOW_KEY = 'upload-page:oidc-flow';
const TOKENS_KEY = 'upload-page:oidc-tokens';

interface Endpoints {
  readonly authorization: string;
  readonly token: string;
  /** RP-initiated logout (OpenID Connect `end_session_endpoint`), when discovery names one. */
  readonly endSession?: string;
}

interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** ms since the epoch */
  readonly expiresAt: number;
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomString = (bytes = 32): string =>
  base64url(crypto.getRandomValues(new Uint8Array(bytes)));

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

const redirectUri = (settings: OidcSettings) =>
  settings.redirectUri ?? `${location.origin}${location.pathname}`;

/** The discovery answer, read once per page load (every refresh and sign-out needs it). */
let discovered: Promise<Endpoints> | undefined;

function endpoints(settings: OidcSettings): Promise<Endpoints> {
  if (settings.authorizationEndpoint && settings.tokenEndpoint) {
    return Promise.resolve({
      authorization: settings.authorizationEndpoint,
      token: settings.tokenEndpoint,
    });
  }
  discovered ??= discover(settings).catch((error: unknown) => {
    discovered = undefined; // tried again next time
    throw error;
  });
  return discovered;
}

async function discover(settings: OidcSettings): Promise<Endpoints> {
  if (!settings.issuer) throw new Error('config.json: oidc needs an issuer or both endpoints');
  const url = `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not read ${url} (HTTP ${response.status})`);
  const document = (await response.json()) as Record<string, unknown>;
  const authorization = settings.authorizationEndpoint ?? document.authorization_endpoint;
  const token = settings.tokenEndpoint ?? document.token_endpoint;
  if (typeof authorization !== 'string' || typeof token !== 'string')
    throw new Error(`${url} names no authorization or token endpoint`);
  const endSession = document.end_session_endpoint;
  return { authorization, token, ...(typeof endSession === 'string' ? { endSession } : {}) };
}

/** Sends the browser to the provider's sign-in page. */
export async function signIn(settings: OidcSettings): Promise<void> {
  const { authorization } = await endpoints(settings);
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(authorization);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(settings),
    scope: settings.scope ?? 'openid',
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(settings: OidcSettings, body: Record<string, string>) {
  const { token } = await endpoints(settings);
  const response = await fetch(token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: settings.clientId, ...body }),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof answer.access_token !== 'string') {
    const reason = typeof answer.error === 'string' ? answer.error : `HTTP ${response.status}`;
    throw new Error(`sign-in failed: ${reason}`);
  }
  const expiresIn = typeof answer.expires_in === 'number' ? answer.expires_in : 3600;
  const refresh =
    typeof answer.refresh_token === 'string' ? answer.refresh_token : body.refresh_token;
  const tokens: StoredTokens = {
    accessToken: answer.access_token,
    ...(refresh ? { refreshToken: refresh } : {}),
    expiresAt: Date.now() + expiresIn * 1000,
  };
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  return tokens;
}

/**
 * Finishes a sign-in when the provider sent the browser back (`?code=&state=`): checks the state,
 * exchanges the code (with the PKCE verifier) and removes both from the address bar. Returns
 * whether there was a sign-in to finish; throws when it failed.
 */
export async function completeSignIn(settings: OidcSettings): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  const state = params.get('state');
  if (!code && !error) return false;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null') as {
    verifier?: string;
    state?: string;
  } | null;
  sessionStorage.removeItem(FLOW_KEY);
  const from = params.get('iss');
  for (const key of ['code', 'state', 'error', 'error_description', 'session_state', 'iss'])
    params.delete(key);
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  if (error) throw new Error(`sign-in failed: ${error}`);
  if (!flow?.verifier || !flow.state || flow.state !== state)
    throw new Error('sign-in failed: the answer does not belong to this sign-in; try again');
  // RFC 9207: a provider that names itself must be the one the page sent the browser to.
  if (from && settings.issuer && from.replace(/\/+$/, '') !== settings.issuer.replace(/\/+$/, ''))
    throw new Error('sign-in failed: the answer came from another provider; try again');
  await tokenRequest(settings, {
    grant_type: 'authorization_code',
    code: code as string,
    redirect_uri: redirectUri(settings),
    code_verifier: flow.verifier,
  });
  return true;
}

export function storedTokens(): StoredTokens | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(TOKENS_KEY) ?? 'null') as StoredTokens | null;
    return value && typeof value.accessToken === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Forgets the tokens, then ends the provider's own session too when it offers a way (the browser
 * goes there and comes back): otherwise the next sign-in on this browser would need no password.
 */
export async function signOut(settings: OidcSettings): Promise<void> {
  sessionStorage.removeItem(TOKENS_KEY);
  const back = redirectUri(settings);
  let url: URL | undefined;
  if (settings.logoutEndpoint) {
    url = new URL(settings.logoutEndpoint);
    url.search = new URLSearchParams({ client_id: settings.clientId, logout_uri: back }).toString();
  } else {
    const { endSession } = await endpoints(settings);
    if (!endSession) return;
    url = new URL(endSession);
    url.search = new URLSearchParams({
      client_id: settings.clientId,
      post_logout_redirect_uri: back,
    }).toString();
  }
  location.assign(url.toString());
}

/** A token provider for the SDK: the stored access token, refreshed when it nears expiry. */
export function oidcTokenProvider(settings: OidcSettings) {
  let refreshing: Promise<StoredTokens> | undefined;
  return async (request?: { forceRefresh?: boolean }): Promise<string> => {
    const tokens = storedTokens();
    if (!tokens) throw new Error('not signed in');
    const fresh = tokens.expiresAt - Date.now() > 60_000;
    if (fresh && !request?.forceRefresh) return tokens.accessToken;
    if (!tokens.refreshToken) return tokens.accessToken;
    refreshing ??= tokenRequest(settings, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken,
    }).finally(() => {
      refreshing = undefined;
    });
    return (await refreshing).accessToken;
  };
}
