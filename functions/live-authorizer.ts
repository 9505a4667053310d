import { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { userIdOf } from '../src/domain/user-id.ts';
import { redactingReplacer } from './commons/log-redaction.ts';

/**
 * The WebSocket API's $connect authorizer (a Lambda REQUEST authorizer): the same trust as the
 * HTTP API's JWT authorizer, i.e. a token of `LIVE_JWT_ISSUER` (found by OIDC discovery) whose
 * `aud` or `client_id` is one of `LIVE_JWT_AUDIENCE` (comma-separated), signed with RSA, with
 * `exp` and `sub`. The token comes as `Authorization: Bearer` or, for browsers, as the `token`
 * query parameter. A refusal is API Gateway's 401; the token itself is never logged.
 *
 * Not src/config.ts: this function needs neither the table nor the bucket.
 */

/** API Gateway's JWT authorizers accept RSA signatures only. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512'];

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** The issuer's keys; by default found through `<issuer>/.well-known/openid-configuration`. */
  readonly jwks?: JWTVerifyGetKey;
  readonly fetch?: typeof globalThis.fetch;
}

export type Verification =
  | { readonly ok: true; readonly userId: string; readonly claims: JWTPayload }
  /** `reason` is safe to log: a jose error code or a fixed phrase, never the token. */
  | { readonly ok: false; readonly reason: string };

export function createTokenVerifier(
  options: TokenVerifierOptions,
): (token: string) => Promise<Verification> {
  const keys = options.jwks ?? discoveredKeys(options.issuer, options.fetch ?? globalThis.fetch);
  const audience = new Set(options.audience);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      // jose's codes (ERR_JWT_EXPIRED…) and discovery failures; neither quotes the token.
      const { code, message } = error as { code?: unknown; message?: unknown };
      const reason = typeof code === 'string' ? code : String(message ?? 'unverifiable token');
      return { ok: false, reason };
    }
    const audiences = [payload.aud ?? [], payload.client_id ?? []].flat();
    if (!audiences.some((a) => typeof a === 'string' && audience.has(a))) {
      return { ok: false, reason: 'audience not accepted' };
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      return { ok: false, reason: 'no subject' };
    }
    return { ok: true, userId: userIdOf(payload.sub), claims: payload };
  };
}

/** The bearer token of a $connect request: the Authorization header, else `?token=`. */
export function tokenOf(
  event: Pick<APIGatewayRequestAuthorizerEvent, 'headers' | 'queryStringParameters'>,
): string | undefined {
  const header = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  )?.[1];
  const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  const query = event.queryStringParameters?.token;
  return bearer ?? (query ? query : undefined);
}

/**
 * The issuer's JWKS, found once through OIDC discovery (as API Gateway does) and then cached
 * and refreshed by jose; a failed discovery is tried again by the next request.
 */
function discoveredKeys(issuer: string, fetchImpl: typeof globalThis.fetch): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) throw new Error(`OIDC discovery answered HTTP ${response.status}`);
    const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: unknown };
    if (typeof jwksUri !== 'string') throw new Error('OIDC discovery named no jwks_uri');
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 3_000 });
  };
  return async (header, token) => {
    keys ??= discover().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return (await keys)(header, token);
  };
}

export function allowPolicy(userId: string, methodArn: string): APIGatewayAuthorizerResult {
  return {
    principalId: userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    // Every route of the connection sees it as requestContext.authorizer.userId.
    context: { userId },
  };
}

const logger = new Logger({ serviceName: 'upload-api', jsonReplacerFn: redactingReplacer });

let verify: ((token: string) => Promise<Verification>) | undefined;

function verifier(): (token: string) => Promise<Verification> {
  if (verify) return verify;
  const issuer = process.env.LIVE_JWT_ISSUER ?? '';
  const audience = (process.env.LIVE_JWT_AUDIENCE ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!/^https?:\/\/\S+$/.test(issuer) || audience.length === 0) {
    throw new Error('LIVE_JWT_ISSUER (a URL) and LIVE_JWT_AUDIENCE (a list) must be set');
  }
  verify = createTokenVerifier({ issuer, audience });
  return verify;
}

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
  context?: Context,
): Promise<APIGatewayAuthorizerResult> => {
  if (context) logger.addContext(context);
  const token = tokenOf(event);
  const result: Verification = token ? await verifier()(token) : { ok: false, reason: 'no token' };
  if (!result.ok) {
    logger.info('live connection refused', { reason: result.reason });
    // API Gateway answers this exact message with 401.
    throw new Error('Unauthorized');
  }
  logger.info('live connection authorized', { userId: result.userId });
  return allowPolicy(result.userId, event.methodArn);
};
