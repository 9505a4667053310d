import { UploadApiClient } from '../sdk/api.ts';
import { isAbortError } from '../sdk/errors.ts';
import {
  type Command,
  type Connection,
  DEFAULT_API_URL,
  parseCommandLine,
  UsageError,
} from './args.ts';
import { loginCommand, logoutCommand, storedApiUrl } from './auth.ts';
import { PathError } from './collect-files.ts';
import { type Credentials, credentialsFor } from './credentials.ts';
import { downloadCommand, TargetExistsError } from './download-command.ts';
import { errorLine } from './errors.ts';
import { formatBytes } from './format.ts';
import { helpText } from './help.ts';
import type { ErrorStream } from './live-output.ts';
import { plainIntervalFrom } from './live-output.ts';
import {
  cancelAllCommand,
  cancelCommand,
  deleteCommand,
  listCommand,
  type Printed,
  statusCommand,
} from './manage-commands.ts';
import { uploadCommand } from './upload-command.ts';
import { version } from './version.ts';
import { watchCommand } from './watch-command.ts';

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ErrorStream;
  readonly env: Record<string, string | undefined>;
  /** Aborts when the user asks to stop (Ctrl-C). */
  readonly signal: AbortSignal;
  /** The caller's current folder: relative paths start there (default process.cwd()). */
  readonly cwd?: string;
}

export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const warn = (line: string) => io.stderr.write(`${line}\n`);
  let credentials: Credentials | undefined;
  try {
    const { command, connection } = parseCommandLine(argv, io.env);
    if (command.name === 'help') {
      say(helpText(command.topic));
      return EXIT.ok;
    }
    if (command.name === 'version') {
      say(version());
      return EXIT.ok;
    }
    if (command.name === 'login' || command.name === 'logout')
      return await authCommand(command, io);
    const apiUrl = apiUrlOf(connection, io.env);
    if (command.name === 'upload') {
      const ask = async () => {
        credentials = await credentialsFor(connection, io.env);
        return credentials;
      };
      return await uploadCommand(command, { apiUrl, credentials: ask, io });
    }
    credentials = await credentialsFor(connection, io.env);
    const api = new UploadApiClient({ apiUrl, token: credentials.token });
    if (command.name === 'watch')
      return await watchCommand(command, { api, apiUrl, token: credentials.token, io });
    return await manage(command, api, io, say, warn);
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command ? `upload-api ${error.command} --help` : 'upload-api --help';
      warn(`error: ${error.message} (see ${hint})`);
      return EXIT.usage;
    }
    if (io.signal.aborted && isAbortError(error)) {
      warn('interrupted');
      return EXIT.interrupted;
    }
    if (error instanceof PathError || error instanceof TargetExistsError) {
      warn(`error: ${error.message}`);
      return EXIT.error;
    }
    warn(`error: ${errorLine(error, { token: credentials?.lastToken() })}`);
    return EXIT.error;
  }
}

async function manage(
  command: Exclude<Command, { name: 'help' | 'version' | 'upload' | 'watch' | 'login' | 'logout' }>,
  api: UploadApiClient,
  io: Io,
  say: (line: string) => void,
  warn: (line: string) => void,
): Promise<number> {
  const { signal } = io;
  let printed: Printed;
  switch (command.name) {
    case 'status':
      printed = await statusCommand(api, command.id, { json: command.json, signal });
      break;
    case 'list':
      printed = await listCommand(api, { ...command, signal });
      break;
    case 'cancel':
      printed = command.all
        ? await cancelAllCommand(api, signal)
        : await cancelCommand(api, command.id as string, signal);
      break;
    case 'delete':
      printed = await deleteCommand(api, command.id, signal);
      break;
    case 'download': {
      const saved = await downloadCommand(api, {
        id: command.id,
        out: command.out,
        force: command.force,
        cwd: io.cwd ?? process.cwd(),
        signal,
        stderr: io.stderr,
        progressIntervalMs: plainIntervalFrom(io.env),
      });
      printed = {
        lines: [`saved ${saved.path} (${formatBytes(saved.bytes)}, session ${saved.sessionId})`],
        ok: true,
      };
      break;
    }
  }
  for (const line of printed.warnings ?? []) warn(line);
  for (const line of printed.lines) say(line);
  return printed.ok ? EXIT.ok : EXIT.error;
}

/** `login` and `logout` (auth.ts) parse their own options. */
function authCommand(
  command: Extract<Command, { name: 'login' | 'logout' }>,
  io: Io,
): Promise<number> {
  const authIo = { stdout: io.stdout, stderr: io.stderr, env: io.env, signal: io.signal };
  return command.name === 'login'
    ? loginCommand(command.args, authIo)
    : logoutCommand(command.args, authIo);
}

/** --api, else UPLOAD_API_URL, else the URL `login --api` remembered, else the local server. */
export const apiUrlOf = (connection: Connection, env: Record<string, string | undefined>) =>
  connection.apiUrl ?? storedApiUrl(env) ?? DEFAULT_API_URL;
