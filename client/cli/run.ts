import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UploadApiClient } from '../sdk/api.ts';
import { isAbortError, UploadApiError, UploadStorageError } from '../sdk/errors.ts';
import { uploadFile } from '../sdk/node.ts';
import type { UploadProgress } from '../sdk/progress.ts';
import type { SessionStart } from '../sdk/upload.ts';
import { type Command, type Connection, parseCommandLine, USAGE, UsageError } from './args.ts';
import { progressLine } from './format.ts';
import { httpGet } from './http-get.ts';

export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: Record<string, string | undefined>;
  /** Aborts when the user asks to stop (Ctrl-C). */
  readonly signal: AbortSignal;
}

interface Authenticated extends Connection {
  readonly token: string;
}

export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const warn = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const { command, connection } = parseCommandLine(argv, io.env);
    if (command.name === 'help') {
      say(USAGE);
      return EXIT.ok;
    }
    if (!connection.token) throw new UsageError('no token: pass --token or set UPLOAD_API_TOKEN');
    const api = new UploadApiClient({ apiUrl: connection.apiUrl, token: connection.token });
    return await execute(
      command,
      { apiUrl: connection.apiUrl, token: connection.token },
      api,
      io,
      say,
      warn,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      warn(`error: ${error.message} (see --help)`);
      return EXIT.usage;
    }
    if (io.signal.aborted && isAbortError(error)) {
      warn('interrupted');
      return EXIT.interrupted;
    }
    warn(`error: ${errorLine(error)}`);
    return EXIT.error;
  }
}

async function execute(
  command: Exclude<Command, { name: 'help' }>,
  connection: Authenticated,
  api: UploadApiClient,
  io: Io,
  say: (line: string) => void,
  warn: (line: string) => void,
): Promise<number> {
  const call = { signal: io.signal };
  switch (command.name) {
    case 'upload':
      return uploadCommand(command, connection, io, say, warn);
    case 'status':
      say(JSON.stringify(await api.progress(command.id, call), null, 2));
      return EXIT.ok;
    case 'cancel':
      await api.cancel(command.id, call);
      say(`cancelled ${command.id}`);
      return EXIT.ok;
    case 'delete':
      await api.deleteFile(command.id, call);
      say(`deleted ${command.id}`);
      return EXIT.ok;
    case 'download': {
      const bytes = await download(api, command.id, command.path, io.signal);
      say(JSON.stringify({ id: command.id, path: command.path, bytes }));
      return EXIT.ok;
    }
    case 'list': {
      const page = await api.list({ status: command.status, limit: command.limit }, call);
      if (command.json) say(JSON.stringify(page));
      else
        for (const s of page.items)
          say(
            [s.id, s.status, `${s.uploadedBytes ?? 0}/${s.fileSize}`, s.createdAt, s.fileName].join(
              '\t',
            ),
          );
      return EXIT.ok;
    }
  }
}

async function uploadCommand(
  command: Extract<Command, { name: 'upload' }>,
  connection: Authenticated,
  io: Io,
  say: (line: string) => void,
  warn: (line: string) => void,
): Promise<number> {
  const display = progressDisplay(io);
  let session: SessionStart | undefined;
  let last: UploadProgress | undefined;
  const stats = () =>
    `chunksSent=${last?.chunksSent ?? 0} totalChunks=${session?.totalChunks ?? 0} ` +
    `resumed=${session?.resumed ?? false} session=${session?.sessionId ?? '-'}`;
  try {
    const record = await uploadFile(command.file, {
      apiUrl: connection.apiUrl,
      token: connection.token,
      concurrency: command.concurrency,
      ...(command.chunkSize !== undefined ? { chunkSize: command.chunkSize } : {}),
      ...(command.contentType ? { contentType: command.contentType } : {}),
      checksum: command.checksum ? 'SHA256' : 'NONE',
      ...(command.resume ? {} : { store: false as const }),
      signal: io.signal,
      onSession: (started) => {
        session = started;
        if (started.resumed)
          warn(
            `resuming ${started.sessionId}: ${started.missingChunks} of ${started.totalChunks} chunks to send`,
          );
      },
      onProgress: (progress) => {
        last = progress;
        display.update(progress);
      },
    });
    display.done();
    warn(stats());
    say(JSON.stringify(record));
    return EXIT.ok;
  } catch (error) {
    display.done();
    if (io.signal.aborted && isAbortError(error)) {
      warn(stats());
      warn(
        session
          ? `paused: session ${session.sessionId} is kept; re-run the same command to resume`
          : 'interrupted before the upload started',
      );
      return EXIT.interrupted;
    }
    throw error;
  }
}

/** A one-line bar redrawn with \r on a terminal; plain lines at most once a second otherwise. */
function progressDisplay(io: Io) {
  const tty = io.stderr.isTTY === true;
  const interval = tty ? 100 : 1000;
  let lastDraw = 0;
  let drawn = false;
  let pending: UploadProgress | undefined;
  const draw = (progress: UploadProgress) => {
    if (tty) {
      const width = Math.max(0, Math.min(30, (io.stderr.columns ?? 80) - 75));
      io.stderr.write(`\r${progressLine(progress, width)}\x1b[K`);
    } else {
      io.stderr.write(`progress: ${progressLine(progress, 0)}\n`);
    }
    drawn = true;
    pending = undefined;
    lastDraw = Date.now();
  };
  return {
    update(progress: UploadProgress) {
      const finished = progress.chunksUploaded >= progress.totalChunks;
      if (finished || Date.now() - lastDraw >= interval) draw(progress);
      else pending = progress;
    },
    done() {
      if (pending) draw(pending);
      if (tty && drawn) io.stderr.write('\n');
      drawn = false;
    },
  };
}

const DOWNLOAD_ATTEMPTS = 3;

/** Streams the finished file to `path` (through a temporary file, renamed when complete). */
async function download(
  api: UploadApiClient,
  id: string,
  path: string,
  signal: AbortSignal,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(api, id, path, signal);
    } catch (error) {
      if (signal.aborted || attempt >= DOWNLOAD_ATTEMPTS || error instanceof DownloadRefused)
        throw error;
    }
  }
}

class DownloadRefused extends Error {}

async function downloadOnce(
  api: UploadApiClient,
  id: string,
  path: string,
  signal: AbortSignal,
): Promise<number> {
  const link = await api.downloadUrl(id, { signal });
  const response = await httpGet(link.url, signal);
  if (response.statusCode !== 200) {
    response.resume();
    throw new DownloadRefused(
      `download of ${id} failed: storage answered HTTP ${response.statusCode}`,
    );
  }
  const temporary = `${path}.part`;
  let bytes = 0;
  try {
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(response, createWriteStream(temporary), { signal });
    const expected = Number(response.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(expected) && expected !== bytes)
      throw new Error(`download of ${id} was cut short: ${bytes} of ${expected} bytes`);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return bytes;
}

/** One line that says what went wrong, without a stack trace. */
export function errorLine(error: unknown): string {
  if (error instanceof UploadApiError)
    return `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ''})`;
  if (error instanceof UploadStorageError) return error.message;
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code === 'ENOENT' && errno.path) return `no such file: ${errno.path}`;
  if (errno?.code === 'EACCES' && errno.path) return `permission denied: ${errno.path}`;
  if (errno?.code === 'EISDIR' && errno.path) return `is a directory: ${errno.path}`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] || 'unknown error';
}
