/** `status`, `list`, `cancel` and `delete`: one call (or a few) and lines to print. */
import type { UploadApiClient } from '../sdk/api.ts';
import { sleep } from '../sdk/retry.ts';
import type { UploadSession } from '../sdk/types.ts';
import type { ListStatus } from './args.ts';
import { errorLine } from './errors.ts';
import { formatBytes, statusLines, table } from './format.ts';
import { allSessions, findSession } from './sessions.ts';

export interface Printed {
  /** Lines for stdout. */
  readonly lines: string[];
  /** Lines for stderr (failures of single items). */
  readonly warnings?: string[];
  readonly ok: boolean;
}

const UNFINISHED = new Set(['initiated', 'uploading', 'completing']);

/** How long `status` watches an unfinished upload for its speed. */
export const STATUS_SAMPLE_MS = 2000;

/**
 * `status <id>`: the session's file, status, chunks, bytes and percent; for an unfinished one,
 * its speed measured over `sampleMs` and an ETA, but no ETA when it is not moving.
 */
export async function statusCommand(
  api: UploadApiClient,
  id: string,
  options: { json: boolean; signal: AbortSignal; sampleMs?: number },
): Promise<Printed> {
  const call = { signal: options.signal };
  const session = await findSession(api, id, call);
  if (options.json)
    return { lines: [JSON.stringify(await api.progress(session.id, call), null, 2)], ok: true };
  let latest = session;
  let bytesPerSecond: number | undefined;
  if (UNFINISHED.has(session.status)) {
    const sampleMs = options.sampleMs ?? STATUS_SAMPLE_MS;
    const started = Date.now();
    await sleep(sampleMs, options.signal);
    latest = await api.get(session.id, call);
    const seconds = (Date.now() - started) / 1000;
    bytesPerSecond = Math.max(0, (latest.uploadedBytes - session.uploadedBytes) / seconds);
  }
  const lines = statusLines({
    sessionId: latest.id,
    fileId: latest.fileId,
    fileName: latest.fileName,
    status: latest.status,
    chunksUploaded: latest.chunksUploaded,
    totalChunks: latest.totalChunks,
    uploadedBytes: latest.uploadedBytes,
    totalSize: latest.fileSize,
    percentComplete: percent(latest),
    expiresAt: latest.expiresAt,
    bytesPerSecond,
  });
  if (latest.error) lines.push(`error:   ${latest.error}`);
  return { lines, ok: true };
}

const percent = (s: UploadSession): number =>
  s.fileSize > 0
    ? Math.min(100, (s.uploadedBytes / s.fileSize) * 100)
    : s.status === 'uploaded'
      ? 100
      : 0;

/** `list`: a table of the caller's sessions, newest first (or one JSON line each). */
export async function listCommand(
  api: UploadApiClient,
  options: { status: ListStatus; limit: number; json: boolean; signal: AbortSignal },
): Promise<Printed> {
  const sessions: UploadSession[] = [];
  for await (const session of allSessions(api, options.status, { signal: options.signal })) {
    sessions.push(session);
    if (sessions.length >= options.limit) break;
  }
  if (options.json) return { lines: sessions.map((s) => JSON.stringify(s)), ok: true };
  if (sessions.length === 0)
    return {
      lines: [`no ${options.status === 'all' ? '' : `${options.status} `}uploads`],
      ok: true,
    };
  const rows = sessions.map((s) => [
    s.id,
    s.fileId,
    s.status,
    `${formatBytes(s.uploadedBytes)} / ${formatBytes(s.fileSize)} (${percent(s).toFixed(0)}%)`,
    s.createdAt.replace(/\.\d+Z$/, 'Z'),
    s.fileName,
  ]);
  return {
    lines: table([['SESSION', 'FILE ID', 'STATUS', 'PROGRESS', 'CREATED', 'NAME'], ...rows]),
    ok: true,
  };
}

/** `cancel <id>`: aborts one unfinished upload. */
export async function cancelCommand(
  api: UploadApiClient,
  id: string,
  signal: AbortSignal,
): Promise<Printed> {
  const session = await findSession(api, id, { signal });
  await api.cancel(session.id, { signal });
  return { lines: [`cancelled ${session.id} (${session.fileName})`], ok: true };
}

/** `cancel --all`: every active session of the caller; each failure is reported, not fatal. */
export async function cancelAllCommand(
  api: UploadApiClient,
  signal: AbortSignal,
): Promise<Printed> {
  const active: UploadSession[] = [];
  for await (const session of allSessions(api, 'active', { signal })) active.push(session);
  const lines: string[] = [];
  const warnings: string[] = [];
  for (const session of active) {
    try {
      await api.cancel(session.id, { signal });
      lines.push(`cancelled ${session.id} (${session.fileName})`);
    } catch (error) {
      if (signal.aborted) throw error;
      warnings.push(`error: cancelling ${session.id} (${session.fileName}): ${errorLine(error)}`);
    }
  }
  lines.push(`${lines.length} of ${active.length} active uploads cancelled`);
  return { lines, warnings, ok: warnings.length === 0 };
}

/** `delete <id>`: deletes the finished file. */
export async function deleteCommand(
  api: UploadApiClient,
  id: string,
  signal: AbortSignal,
): Promise<Printed> {
  const session = await findSession(api, id, { signal });
  await api.deleteFile(session.id, { signal });
  return { lines: [`deleted ${session.id} (${session.fileName})`], ok: true };
}
