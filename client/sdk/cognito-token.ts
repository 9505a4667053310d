/**
 * Access tokens from an Amazon Cognito user pool's refresh token (REFRESH_TOKEN_AUTH), refreshed
 * before they expire. Cognito's user-pool API is JSON over HTTPS; the calls used here are the
 * unauthenticated ones a public app client makes, so no AWS credentials are involved.
 */
import type { FetchLike } from './api.ts';
import { UploadApiError } from './errors.ts';
import { type CachedTokenOptions, cachedTokenProvider, type TokenFunction } from './token-cache.ts';
import { jwtExpiry } from './token-jwt.ts';

/** An error answer of Cognito: `code` is its exception name, e.g. `NotAuthorizedException`. */
export class CognitoError extends Error {
  override readonly name = 'CognitoError';
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** The region of a user pool id (`eu-west-1_AbCdEf` → `eu-west-1`). */
export function regionOfUserPool(userPoolId: string): string {
  const match = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$/.exec(userPoolId);
  if (!match?.[1]) throw new TypeError(`not a Cognito user pool id: ${userPoolId}`);
  return match[1];
}

/**
 * Cognito's endpoint: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, then AWS_ENDPOINT_URL (an
 * emulator), else the region's public endpoint.
 */
export function cognitoEndpoint(
  region: string,
  env: Record<string, string | undefined> = {},
): string {
  const configured =
    env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER?.trim() || env.AWS_ENDPOINT_URL?.trim();
  return configured || `https://cognito-idp.${region}.amazonaws.com/`;
}

/** One call of the Cognito user-pool API (`InitiateAuth`, `GetUser`, ...). */
export async function cognitoCall<T = Record<string, unknown>>(
  endpoint: string,
  operation: string,
  body: Record<string, unknown>,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<T> {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const response = await fetchImpl(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // not JSON: described below by the status
  }
  if (response.ok) return parsed as T;
  const type =
    parsed.__type ?? response.headers.get('x-amzn-errortype') ?? `HTTP_${response.status}`;
  const code = String(type).split('#').pop()?.split(':')[0] ?? 'UnknownError';
  const message =
    parsed.message ?? parsed.Message ?? `${operation} failed (HTTP ${response.status})`;
  throw new CognitoError(code, String(message), response.status);
}

export interface CognitoTokenOptions extends CachedTokenOptions {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly refreshToken: string;
  /** Default: from the pool id. */
  readonly region?: string;
  /** Default: `cognitoEndpoint(region, env)`. */
  readonly endpoint?: string;
  readonly env?: Record<string, string | undefined>;
  readonly fetch?: FetchLike;
  /** Cognito may rotate the refresh token; called with the new one so it can be kept. */
  readonly onRefreshToken?: (refreshToken: string) => void | Promise<void>;
}

interface AuthenticationResult {
  readonly AccessToken?: string;
  readonly ExpiresIn?: number;
  readonly RefreshToken?: string;
}

/** Answers of Cognito that mean the refresh token is of no more use: sign in again. */
const SIGN_IN_AGAIN = new Set([
  'NotAuthorizedException',
  'UserNotFoundException',
  'UserNotConfirmedException',
  'PasswordResetRequiredException',
  'ResourceNotFoundException',
  'InvalidParameterException',
]);

/**
 * A token function handing out Cognito access tokens: refreshed with REFRESH_TOKEN_AUTH when
 * within 5 minutes of expiry or after the API refused one, one refresh for all concurrent callers.
 * A refresh token Cognito refuses is an UploadApiError UNAUTHORIZED (not retried); a network
 * error or a Cognito 5xx is a plain Error (the upload client retries it).
 */
export function cognitoTokenProvider(options: CognitoTokenOptions): TokenFunction {
  const region = options.region ?? regionOfUserPool(options.userPoolId);
  const endpoint = options.endpoint ?? cognitoEndpoint(region, options.env);
  let refreshToken = options.refreshToken;
  const now = options.now ?? Date.now;
  return cachedTokenProvider(async () => {
    const askedAt = now();
    let result: AuthenticationResult | undefined;
    try {
      const answer = await cognitoCall<{ AuthenticationResult?: AuthenticationResult }>(
        endpoint,
        'InitiateAuth',
        {
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: options.clientId,
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        },
        { ...(options.fetch ? { fetch: options.fetch } : {}), signal: AbortSignal.timeout(30_000) },
      );
      result = answer.AuthenticationResult;
    } catch (error) {
      if (error instanceof CognitoError && SIGN_IN_AGAIN.has(error.code))
        throw new UploadApiError(
          'UNAUTHORIZED',
          `Cognito refused the refresh token (${error.code}: ${error.message}); sign in again`,
          401,
          undefined,
          { cause: error },
        );
      throw new Error(`refreshing the Cognito access token failed: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (!result?.AccessToken)
      throw new Error('Cognito answered the refresh without an access token');
    if (result.RefreshToken && result.RefreshToken !== refreshToken) {
      refreshToken = result.RefreshToken;
      await options.onRefreshToken?.(refreshToken);
    }
    const expiresAt =
      typeof result.ExpiresIn === 'number'
        ? askedAt + result.ExpiresIn * 1000
        : jwtExpiry(result.AccessToken);
    return { token: result.AccessToken, expiresAt };
  }, options);
}

const describeError = (error: unknown): string =>
  error instanceof CognitoError
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
      : String(error);
