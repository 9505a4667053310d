/**
 * The token every command sends, as auth.ts resolves it: --token, then --token-command, then
 * UPLOAD_API_TOKEN, then UPLOAD_API_TOKEN_COMMAND, then the credentials `upload-api login`
 * stored (refreshed as needed). The last token handed out is kept so that a 401 can say whether
 * it had expired.
 */
import type { TokenProvider, TokenRequest } from '../sdk/api.ts';
import { type Connection, UsageError } from './args.ts';
import { resolveTokenProvider } from './auth.ts';

export interface Credentials {
  /** Asked before every request (it may refresh). */
  readonly token: TokenProvider;
  /** The last token handed out. */
  lastToken(): string | undefined;
}

export async function credentialsFor(
  connection: Connection,
  env: Record<string, string | undefined>,
): Promise<Credentials> {
  const provider = resolveTokenProvider({
    flags: { token: connection.token, tokenCommand: connection.tokenCommand },
    env,
  });
  if (provider === undefined)
    throw new UsageError(
      'no token: sign in with `upload-api login`, or pass --token or --token-command ' +
        '(env UPLOAD_API_TOKEN, UPLOAD_API_TOKEN_COMMAND)',
    );
  if (typeof provider === 'string') return { token: provider, lastToken: () => provider };
  let last: string | undefined;
  return {
    token: async (request?: TokenRequest) => {
      last = await (request ? provider(request) : provider());
      return last;
    },
    lastToken: () => last,
  };
}
