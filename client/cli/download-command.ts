/**
 * `download <id> [--out <folder or file>] [--force]`: the finished file, streamed to a temporary
 * file beside the target and moved into place once complete. An existing file is never replaced
 * without --force: the target is checked before anything is fetched, and the final move is a
 * hard link that fails if a file appeared meanwhile.
 */
import { createWriteStream } from 'node:fs';
import { link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadApiClient } from '../sdk/api.ts';
import { etaSeconds, RateMeter } from '../sdk/progress.ts';
import { fileProgressLine } from './format.ts';
import { httpGet } from './http-get.ts';
import { type ErrorStream, liveOutput } from './live-output.ts';
import { findSession } from './sessions.ts';

export interface DownloadRequest {
  readonly id: string;
  /** A folder (existing, or ending in a separator) or a file path; default: the current folder. */
  readonly out: string | undefined;
  readonly force: boolean;
  readonly cwd: string;
  readonly signal: AbortSignal;
  readonly stderr: ErrorStream;
  readonly progressIntervalMs?: number;
}

export interface Downloaded {
  readonly sessionId: string;
  readonly fileId: string;
  readonly path: string;
  readonly bytes: number;
}

/** The target exists and --force was not given. */
export class TargetExistsError extends Error {
  override readonly name = 'TargetExistsError';
}

/** Storage refused the download: retrying the same URL does not help. */
class DownloadRefused extends Error {}

const ATTEMPTS = 3;

export async function downloadCommand(
  api: UploadApiClient,
  request: DownloadRequest,
): Promise<Downloaded> {
  const call = { signal: request.signal };
  const session = await findSession(api, request.id, call);
  const sessionId = session.id;
  const path = await targetPath(request.out, request.cwd, session.fileName);
  if (!request.force && (await exists(path)))
    throw new TargetExistsError(`${path} exists; pass --force to overwrite it`);
  for (let attempt = 1; ; attempt++) {
    try {
      const bytes = await downloadOnce(api, sessionId, path, session.fileSize, request);
      return { sessionId, fileId: session.fileId, path, bytes };
    } catch (error) {
      const final =
        request.signal.aborted ||
        attempt >= ATTEMPTS ||
        error instanceof DownloadRefused ||
        error instanceof TargetExistsError;
      if (final) throw error;
    }
  }
}

/**
 * Where the file goes: into `out` when it is a folder (or ends with a separator, created if
 * needed) under the file's own name, else `out` itself. The name loses any folders it carries
 * (`photos/a.jpg` is saved as `a.jpg`), so a stored name can never point outside the folder.
 */
export async function targetPath(
  out: string | undefined,
  cwd: string,
  fileName: string,
): Promise<string> {
  const name = safeName(fileName);
  if (out === undefined) return join(cwd, name);
  const path = resolve(cwd, out);
  if (/[/\\]$/.test(out)) {
    await mkdir(path, { recursive: true });
    return join(path, name);
  }
  const found = await stat(path).catch(() => undefined);
  return found?.isDirectory() ? join(path, name) : path;
}

/** The last segment of a stored name, never `.`, `..` or empty. */
export function safeName(fileName: string): string {
  const last = fileName.split(/[/\\]/).pop()?.trim() ?? '';
  return last === '' || last === '.' || last === '..' ? 'download' : last;
}

async function downloadOnce(
  api: UploadApiClient,
  sessionId: string,
  path: string,
  size: number,
  request: DownloadRequest,
): Promise<number> {
  const { signal } = request;
  const { url } = await api.downloadUrl(sessionId, { signal });
  const response = await httpGet(url, signal);
  if (response.statusCode !== 200) {
    response.resume();
    throw new DownloadRefused(`storage answered HTTP ${response.statusCode} to the download`);
  }
  const expected = Number(response.headers['content-length'] ?? size);
  const temporary = `${path}.${process.pid}.part`;
  const started = Date.now();
  const rate = new RateMeter(started);
  let bytes = 0;
  const name = safeName(path);
  const output = liveOutput(
    request.stderr,
    (width) => {
      const now = Date.now();
      const perSecond = rate.rate(now);
      const view = {
        sentBytes: bytes,
        totalBytes: expected,
        bytesPerSecond: Math.round(perSecond),
        etaSeconds: etaSeconds(expected - bytes, perSecond),
        moving: perSecond > 0,
      };
      return [fileProgressLine(name, view, width === undefined ? 0 : 24)];
    },
    request.progressIntervalMs ? { intervalMs: request.progressIntervalMs } : {},
  );
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      rate.add(chunk.length, Date.now());
      done(null, chunk);
    },
  });
  try {
    await pipeline(response, count, createWriteStream(temporary, { flags: 'wx' }), { signal });
    if (Number.isFinite(expected) && expected !== bytes)
      throw new Error(`the download was cut short: ${bytes} of ${expected} bytes`);
    await place(temporary, path, request.force);
  } finally {
    output.close();
    await rm(temporary, { force: true });
  }
  return bytes;
}

/** Moves the finished temporary file to `path`; without `force`, never over an existing file. */
async function place(temporary: string, path: string, force: boolean): Promise<void> {
  if (force) return rename(temporary, path);
  try {
    await link(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new TargetExistsError(`${path} exists; pass --force to overwrite it`);
    // A file system without hard links: check, then rename (a narrow race, but no overwrite
    // of anything that existed when the download began).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    if (await exists(path))
      throw new TargetExistsError(`${path} exists; pass --force to overwrite it`);
    await rename(temporary, path);
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
