import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider on loopback (panva's oidc-provider, the certified
 * implementation) standing in for Cognito's hosted sign-in: authorization code with PKCE for a
 * public client, RS256 JWT access tokens whose `aud` is the API and `client_id` the page, as
 * Cognito's carry the client id, and a refresh token. Its development sign-in form accepts any
 * login as the user id.
 */
export interface OidcIssuer {
  readonly issuer: string;
  readonly clientId: string;
  close(): Promise<void>;
}

export async function startOidcIssuer(options: {
  readonly redirectUri: string;
  readonly clientId?: string;
}): Promise<OidcIssuer> {
  const clientId = options.clientId ?? 'upload-page';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:upload-api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid',
          audience: 'upload-api',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Cognito gives a public client a refresh token without asking for offline_access.
    issueRefreshToken: () => true,
    clientBasedCORS: (_ctx, origin) => origin === new URL(options.redirectUri).origin,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 3600,
      Session: 3600,
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
