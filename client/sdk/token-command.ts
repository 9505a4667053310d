/**
 * Tokens from any other identity provider: a shell command that prints a bearer token (e.g.
 * `gcloud auth print-identity-token`, `az account get-access-token --query accessToken -o tsv`).
 * Node only (child_process).
 */
import { spawn } from 'node:child_process';
import { type CachedTokenOptions, cachedTokenProvider, type TokenFunction } from './token-cache.ts';
import { jwtExpiry } from './token-jwt.ts';

export interface CommandTokenOptions extends CachedTokenOptions {
  /** The command's environment (default process.env). */
  readonly env?: Record<string, string | undefined>;
  /** Give up on a command that runs longer (default 60 s). */
  readonly timeoutMs?: number;
}

/**
 * A token function that runs `command` in a shell and takes its trimmed standard output as the
 * token. A JWT's `exp` says when to run it again (5 minutes before); any other token is kept
 * until the server refuses it. Concurrent callers share one run.
 */
export function commandTokenProvider(
  command: string,
  options: CommandTokenOptions = {},
): TokenFunction {
  if (!command.trim()) throw new TypeError('the token command is empty');
  return cachedTokenProvider(async () => {
    const token = await runTokenCommand(command, options);
    return { token, expiresAt: jwtExpiry(token) };
  }, options);
}

/** Runs the command once: its trimmed stdout, or an error quoting the end of its stderr. */
export function runTokenCommand(
  command: string,
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', (error) =>
      reject(new Error(`token command failed to start: ${error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => {
      const token = stdout.trim();
      if (code === 0 && token && !/\s/.test(token)) return resolve(token);
      const why =
        code !== 0
          ? signal
            ? `was stopped by ${signal}`
            : `exited with code ${code}`
          : token
            ? 'printed more than one word'
            : 'printed nothing';
      const detail = stderr.trim().split('\n').at(-1)?.slice(0, 300);
      reject(new Error(`token command ${why}${detail ? `: ${detail}` : ''}`));
    });
  });
}
