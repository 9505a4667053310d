import { type JWTVerifyOptions, jwtVerify, SignJWT } from 'jose';

/**
 * Local stand-in for the API Gateway JWT authorizer: HS256 tokens signed with a development
 * secret. Deployed stacks verify real tokens from Cognito or any OIDC issuer instead.
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

/** The token's claims when the Authorization header carries a valid bearer token, else undefined. */
export async function verifyBearer(
  header: string | undefined,
): Promise<Record<string, string> | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  try {
    const { payload } = await jwtVerify(match[1], secret(), VERIFY_OPTIONS);
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) return undefined;
    // API Gateway hands claims to the function as strings.
    return Object.fromEntries(
      Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  } catch {
    return undefined;
  }
}
