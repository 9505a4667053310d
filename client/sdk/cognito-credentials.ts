/**
 * The signed-in user's Cognito refresh token, kept in a file only that user can read (mode 0600,
 * in a 0700 directory): `~/.upload-api/credentials.json`, or `$UPLOAD_API_CREDENTIALS`. Access
 * tokens are never stored: they are got from the refresh token when needed. Node only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FetchLike } from './api.ts';
import { cognitoTokenProvider } from './cognito-token.ts';
import type { CachedTokenOptions, TokenFunction } from './token-cache.ts';

export interface StoredCredentials {
  readonly version: 1;
  readonly provider: 'cognito';
  readonly userPoolId: string;
  readonly clientId: string;
  readonly region: string;
  /** As typed at sign-in (often an e-mail address). */
  readonly username: string;
  readonly refreshToken: string;
  /** The API URL given at sign-in, if any. */
  readonly apiUrl?: string;
  /** The Cognito endpoint used at sign-in when it was not AWS's (an emulator). */
  readonly endpoint?: string;
  readonly savedAt: string;
}

export const defaultCredentialsDir = () => join(homedir(), '.upload-api');

/** `$UPLOAD_API_CREDENTIALS`, else `~/.upload-api/credentials.json`. */
export function credentialsPath(env: Record<string, string | undefined> = {}): string {
  return env.UPLOAD_API_CREDENTIALS?.trim() || join(defaultCredentialsDir(), 'credentials.json');
}

function parseCredentials(text: string, path: string): StoredCredentials {
  let value: Partial<StoredCredentials>;
  try {
    value = JSON.parse(text) as Partial<StoredCredentials>;
  } catch (error) {
    throw new Error(`${path} is not valid JSON; sign in again`, { cause: error });
  }
  const strings = ['userPoolId', 'clientId', 'region', 'username', 'refreshToken'] as const;
  if (
    value?.version !== 1 ||
    value.provider !== 'cognito' ||
    strings.some((key) => typeof value[key] !== 'string' || !value[key])
  )
    throw new Error(`${path} does not hold upload-api credentials; sign in again`);
  return value as StoredCredentials;
}

/** The stored credentials, or undefined when there is no file. */
export function readCredentialsSync(path: string): StoredCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseCredentials(text, path);
}

/**
 * Writes the credentials atomically (a temporary file renamed over the old one), the file 0600
 * and a directory it creates 0700; the default directory is made 0700 even if it existed.
 */
export async function writeCredentials(path: string, credentials: StoredCredentials) {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (dir === defaultCredentialsDir()) await chmod(dir, 0o700);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(credentials, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Removes the stored credentials; false when there were none. */
export async function removeCredentials(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface StoredTokenOptions extends CachedTokenOptions {
  /** Default: `credentialsPath(env)`. */
  readonly path?: string;
  /** For the endpoint override and the default path (default process.env). */
  readonly env?: Record<string, string | undefined>;
  readonly fetch?: FetchLike;
}

/**
 * A token function over the stored credentials (see `cognitoTokenProvider`), or undefined when
 * no one has signed in. A refresh token that Cognito rotates is written back to the file.
 */
export function storedCognitoTokenProvider(
  options: StoredTokenOptions = {},
): TokenFunction | undefined {
  const env = options.env ?? process.env;
  const path = options.path ?? credentialsPath(env);
  const stored = readCredentialsSync(path);
  if (!stored) return undefined;
  const configured = env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER || env.AWS_ENDPOINT_URL;
  return cognitoTokenProvider({
    ...options,
    userPoolId: stored.userPoolId,
    clientId: stored.clientId,
    region: stored.region,
    refreshToken: stored.refreshToken,
    env,
    ...(!configured && stored.endpoint ? { endpoint: stored.endpoint } : {}),
    onRefreshToken: (refreshToken) =>
      writeCredentials(path, { ...stored, refreshToken, savedAt: new Date().toISOString() }),
  });
}
