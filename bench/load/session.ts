/**
 * One virtual session through the real routes: initiate, then per chunk sign, PUT to storage and
 * record (one record skipped now and then, which resume must reconcile; progress checked now and
 * then), and finally complete + download and compare the bytes' SHA-256, or cancel and check.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chunkLength, fileBytes, type SessionPlan } from './content.ts';
import {
  callApi,
  downloadSha256,
  putToStorage,
  type RequestContext,
  RequestFailed,
  RunStopped,
} from './requests.ts';

export type SessionOutcome =
  /** Completed, and the downloaded bytes match. */
  | 'verified'
  /** Completed, but the downloaded bytes differ. */
  | 'mismatch'
  /** Cancelled, and the API reports it cancelled. */
  | 'cancelled'
  /** A request failed or an answer contradicted the contract. */
  | 'failed'
  /** The run stopped (deadline or caller) while it was in flight. */
  | 'aborted'
  /** The run stopped before it began. */
  | 'not-started';

export interface SessionReport {
  readonly index: number;
  readonly user: number;
  readonly fileName: string;
  readonly fileSize: number;
  readonly totalChunks: number;
  readonly action: SessionPlan['action'];
  id?: string;
  outcome: SessionOutcome;
  error?: string;
  expectedSha256?: string;
  actualSha256?: string;
}

/** An answer that is well-formed but says something the contract rules out. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new ContractViolation(message);
}

const sha256Base64 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

export function pendingReport(plan: SessionPlan): SessionReport {
  return {
    index: plan.index,
    user: plan.user,
    fileName: plan.fileName,
    fileSize: plan.fileSize,
    totalChunks: plan.totalChunks,
    action: plan.action,
    outcome: 'not-started',
  };
}

export interface SessionOptions {
  /** Delete each verified file (DELETE /uploads/{id}/file), so that storage does not fill up. */
  readonly deleteFiles?: boolean;
}

export async function runSession(
  ctx: RequestContext,
  plan: SessionPlan,
  token: string,
  options: SessionOptions = {},
): Promise<SessionReport> {
  const report = pendingReport(plan);
  try {
    await drive(ctx, plan, token, report, options);
  } catch (error) {
    if (error instanceof RunStopped) report.outcome = 'aborted';
    else {
      report.outcome = 'failed';
      report.error =
        error instanceof RequestFailed || error instanceof ContractViolation
          ? error.message
          : String(error);
    }
  }
  return report;
}

async function drive(
  ctx: RequestContext,
  plan: SessionPlan,
  token: string,
  report: SessionReport,
  options: SessionOptions,
): Promise<void> {
  const api = (
    route: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => callApi(ctx, { route, method, path, token, body, ...(headers ? { headers } : {}) });

  const { data: session } = await api(
    'initiate',
    'POST',
    '/uploads/initiate',
    {
      fileName: plan.fileName,
      fileSize: plan.fileSize,
      contentType: 'application/octet-stream',
      chunkSize: plan.chunkSize,
      checksum: 'SHA256',
    },
    { 'idempotency-key': randomUUID() },
  );
  report.id = session.id;
  check(
    session.totalChunks === plan.totalChunks && session.chunkSize === plan.chunkSize,
    `initiate planned ${session.totalChunks} chunks of ${session.chunkSize}, expected ${plan.totalChunks} of ${plan.chunkSize}`,
  );
  const base = `/uploads/${session.id}`;
  const fileHash = createHash('sha256');
  let sentBytes = 0;

  for (let chunk = 0; chunk < plan.cancelAfter; chunk++) {
    const bytes = fileBytes(plan.seed, chunk * plan.chunkSize, chunkLength(plan, chunk));
    fileHash.update(bytes);
    sentBytes += bytes.length;
    const checksumSha256 = sha256Base64(bytes);
    const { data: signed } = await api('chunkUrls', 'POST', `${base}/chunks`, {
      chunks: [{ chunkNumber: chunk, checksumSha256 }],
    });
    const url = signed.chunks[0];
    check(
      url?.size === bytes.length,
      `chunk ${chunk} signed for ${url?.size} bytes, not ${bytes.length}`,
    );
    const etag = await putToStorage(ctx, url, bytes);

    if (chunk === plan.lostRecordAt) {
      // The record call is "lost": resume must find the part in storage and count it.
      const { data: state } = await api('resume', 'POST', `${base}/resume`);
      const missing = range(chunk + 1, plan.totalChunks);
      check(
        state.uploadedBytes === sentBytes && sameList(state.missingChunks, missing),
        `resume after unrecorded chunk ${chunk}: uploadedBytes ${state.uploadedBytes} (expected ${sentBytes}), missing [${state.missingChunks}] (expected [${missing}])`,
      );
      check(
        state.nextChunkNumber === (missing[0] ?? null),
        `resume nextChunkNumber ${state.nextChunkNumber}, expected ${missing[0] ?? null}`,
      );
    } else {
      const { data: recorded } = await api('recordChunk', 'PUT', `${base}/chunks/${chunk}`, {
        etag,
        checksumSha256,
      });
      check(
        recorded.chunksUploaded === chunk + 1 && recorded.uploadedBytes === sentBytes,
        `record of chunk ${chunk}: ${recorded.chunksUploaded} chunks / ${recorded.uploadedBytes} bytes, expected ${chunk + 1} / ${sentBytes}`,
      );
    }

    if (plan.progressAfter.has(chunk)) {
      const { data: progress } = await api('progress', 'GET', `${base}/progress`);
      check(
        progress.chunksUploaded === chunk + 1 &&
          progress.uploadedBytes === sentBytes &&
          progress.status === 'uploading',
        `progress after chunk ${chunk}: ${progress.status}, ${progress.chunksUploaded} chunks / ${progress.uploadedBytes} bytes`,
      );
    }
  }

  if (plan.action === 'cancel') {
    await api('cancel', 'DELETE', base);
    const { data: after } = await api('getUpload', 'GET', base);
    check(after.status === 'cancelled', `status ${after.status} after cancel`);
    report.outcome = 'cancelled';
    return;
  }

  const { data: file } = await api('complete', 'POST', `${base}/complete`, {});
  check(
    file.status === 'uploaded' && file.size === plan.fileSize,
    `complete answered ${file.status}, ${file.size} bytes (expected ${plan.fileSize})`,
  );
  const { data: link } = await api('download', 'GET', `${base}/download`);
  const got = await downloadSha256(ctx, link.url);
  report.expectedSha256 = fileHash.digest('hex');
  report.actualSha256 = got.sha256;
  report.outcome = got.sha256 === report.expectedSha256 ? 'verified' : 'mismatch';
  if (options.deleteFiles && report.outcome === 'verified') {
    const { data: deleted } = await api('deleteFile', 'DELETE', `${base}/file`);
    check(deleted.status === 'deleted', `status ${deleted.status} after deleting the file`);
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

const sameList = (actual: unknown, expected: readonly number[]) =>
  Array.isArray(actual) &&
  actual.length === expected.length &&
  actual.every((value, i) => value === expected[i]);
