import { type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueToken, localOidc, verifyBearer } from '../../../local/auth.ts';

const secret = new TextEncoder().encode(
  process.env.LOCAL_JWT_SECRET ?? 'local-development-secret-not-for-production',
);
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the local secret, as a careless or hostile issuer might shape it. */
function sign(claims: JWTPayload, alg = 'HS256'): Promise<string> {
  return new SignJWT({ iss: 'upload-api-local', aud: 'upload-api', iat: now(), ...claims })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(secret);
}

describe('verifyBearer', () => {
  it('accepts a token it issued and hands the claims over as strings', async () => {
    // Prepare
    const token = await issueToken('alice');

    // Act
    const claims = await verifyBearer(`Bearer ${token}`);

    // Assess
    expect(claims).toMatchObject({ sub: 'alice', iss: 'upload-api-local', aud: 'upload-api' });
    expect(typeof claims?.exp).toBe('string');
  });

  it.each([
    ['no exp', () => sign({ sub: 'alice' })],
    ['no sub', () => sign({ exp: now() + 60 })],
    ['an empty sub', () => sign({ sub: '', exp: now() + 60 })],
    ['an exp in the past', () => sign({ sub: 'alice', exp: now() - 120 })],
    ['an HS384 signature', () => sign({ sub: 'alice', exp: now() + 60 }, 'HS384')],
    ['an HS512 signature', () => sign({ sub: 'alice', exp: now() + 60 }, 'HS512')],
    ['another audience', () => sign({ sub: 'alice', exp: now() + 60, aud: 'other' })],
  ])('refuses a token with %s', async (_case, token) => {
    // Act & Assess
    expect(await verifyBearer(`Bearer ${await token()}`)).toBeUndefined();
  });

  it('refuses a missing or malformed header', async () => {
    // Act & Assess
    expect(await verifyBearer(undefined)).toBeUndefined();
    expect(await verifyBearer('Basic abc')).toBeUndefined();
  });
});

describe('localOidc', () => {
  it('is off unless LOCAL_OIDC_ISSUER is set', () => {
    expect(localOidc({})).toBeUndefined();
    expect(localOidc({ LOCAL_OIDC_ISSUER: ' ' })).toBeUndefined();
  });

  it('accepts the client id as audience unless LOCAL_OIDC_AUDIENCE lists others', () => {
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc';
    expect(localOidc({ LOCAL_OIDC_ISSUER: issuer, LOCAL_OIDC_CLIENT_ID: 'web' })).toEqual({
      issuer,
      clientId: 'web',
      audience: ['web'],
      scope: 'openid',
    });
    expect(
      localOidc({
        LOCAL_OIDC_ISSUER: issuer,
        LOCAL_OIDC_CLIENT_ID: 'web',
        LOCAL_OIDC_AUDIENCE: 'api, web',
        LOCAL_OIDC_SCOPE: 'openid email',
      }),
    ).toMatchObject({ audience: ['api', 'web'], scope: 'openid email' });
  });

  it('refuses an issuer that is not a URL, or one without a client id', () => {
    expect(() => localOidc({ LOCAL_OIDC_ISSUER: 'cognito', LOCAL_OIDC_CLIENT_ID: 'web' })).toThrow(
      /LOCAL_OIDC_ISSUER must be a URL/,
    );
    expect(() => localOidc({ LOCAL_OIDC_ISSUER: 'https://issuer.example' })).toThrow(
      /LOCAL_OIDC_CLIENT_ID/,
    );
  });
});
