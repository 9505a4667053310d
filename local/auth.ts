import { type JWTPayload, type JWTVerifyOptions, jwtVerify, SignJWT } from 'jose';
import { createTokenVerifier, type Verification } from '../functions/live-authorizer.ts';

/**
 * Local stand-in for the API Gateway JWT authorizer: HS256 tokens signed with a development
 * secret, and, when `LOCAL_OIDC_ISSUER` names one, the tokens of an OIDC issuer (Cognito, any
 * OIDC provider), checked as the deployed authorizers check them. That issuer also drives the
 * page's hosted sign-in (local/web.ts serves it in config.json).
 */
const ISSUER = 'upload-api-local';
const AUDIENCE = 'upload-api';
const secret = () =>
  new TextEncoder().encode(
    process.env.LOCAL_JWT_SECRET ?? 'local-development-secret-not-for-production',
  );

/** As strict as the deployed authorizer: one algorithm, and a token that never expires is refused. */
const VERIFY_OPTIONS = {
  algorithms: ['HS256'],
  issuer: ISSUER,
  audience: AUDIENCE,
  requiredClaims: ['exp', 'sub'],
} satisfies JWTVerifyOptions;

export async function issueToken(userId: string, ttlSeconds = 12 * 3600): Promise<string> {
  return new SignJWT({ scope: 'uploads' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret());
}

export interface LocalOidc {
  readonly issuer: string;
  /** The page's client id (a public client: authorization code with PKCE). */
  readonly clientId: string;
  /** Accepted `aud` or `client_id` values: `LOCAL_OIDC_AUDIENCE` (comma-separated), else the client id. */
  readonly audience: readonly string[];
  readonly scope: string;
}

/** The OIDC issuer the local server trusts besides its own tokens, if any. */
export function localOidc(
  env: Record<string, string | undefined> = process.env,
): LocalOidc | undefined {
  const issuer = env.LOCAL_OIDC_ISSUER?.trim();
  if (!issuer) return undefined;
  const clientId = env.LOCAL_OIDC_CLIENT_ID?.trim();
  if (!/^https?:\/\/\S+$/.test(issuer) || !clientId)
    throw new Error(
      'LOCAL_OIDC_ISSUER must be a URL, and LOCAL_OIDC_CLIENT_ID must be set with it',
    );
  const audience = (env.LOCAL_OIDC_AUDIENCE ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return {
    issuer,
    clientId,
    audience: audience.length > 0 ? audience : [clientId],
    scope: env.LOCAL_OIDC_SCOPE?.trim() || 'openid',
  };
}

let trusted: { key: string; verify: (token: string) => Promise<Verification> } | undefined;

/** One verifier (and so one cached key set) per configured issuer. */
function issuerVerifier(oidc: LocalOidc) {
  const key = `${oidc.issuer} ${oidc.audience.join(',')}`;
  if (trusted?.key !== key) trusted = { key, verify: createTokenVerifier(oidc) };
  return trusted.verify;
}

async function localClaims(token: string): Promise<JWTPayload | undefined> {
  try {
    return (await jwtVerify(token, secret(), VERIFY_OPTIONS)).payload;
  } catch {
    return undefined;
  }
}

/** The token's claims when the Authorization header carries a valid bearer token, else undefined. */
export async function verifyBearer(
  header: string | undefined,
): Promise<Record<string, string> | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  let payload = await localClaims(match[1]);
  const oidc = payload ? undefined : localOidc();
  if (oidc) {
    const verified = await issuerVerifier(oidc)(match[1]);
    if (verified.ok) payload = verified.claims;
  }
  if (typeof payload?.sub !== 'string' || payload.sub.length === 0) return undefined;
  // API Gateway hands claims to the function as strings.
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
