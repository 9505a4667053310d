import { Agent, request } from 'node:http';
import type { z } from 'zod';
import * as S from '../../../src/http/schemas.ts';
import { CONTRACT_STATUS } from '../../support/contract-errors.ts';

/** The error table of the HTTP contract: code -> status. */
export const CONTRACT_ERRORS: Readonly<Record<string, number>> = CONTRACT_STATUS;

/** The `data` each route answers with on success (as the OpenAPI document declares it). */
const SUCCESS_DATA: Readonly<Record<string, z.ZodType>> = {
  initiate: S.Session,
  chunkUrls: S.ChunkUrls,
  recordChunk: S.RecordedChunk,
  recordChunks: S.RecordedChunks,
  progress: S.Progress,
  resume: S.ResumeState,
  complete: S.FileRecord,
  getUpload: S.Session,
  download: S.DownloadUrl,
  listUploads: S.SessionList,
  deleteFile: S.DeletedFile,
};

export interface RawRequest {
  readonly method: string;
  /** Sent as is on the request line: may hold raw `..`, `%zz` or latin-1 bytes. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
let sent = 0;

const outcomes = new Map<string, number>();

/** How many HTTP requests this module has sent in this test file. */
export const httpCases = (): number => sent;

/** How many answers of each route and status (or error code) this file saw, most frequent first. */
export const outcomeSummary = (): string =>
  [...outcomes]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');

/** One HTTP request with nothing normalised on the way (fetch would resolve `..` and refuse bytes). */
export function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  sent++;
  return new Promise((resolve, reject) => {
    const out = request(
      {
        agent,
        host: hostname,
        port,
        method: req.method,
        path: req.path,
        headers: {
          ...(req.headers as Record<string, string | string[]>),
          ...(req.body === undefined ? {} : { 'content-length': Buffer.byteLength(req.body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(req.body);
  });
}

export const closeAgent = (): void => agent.destroy();

// A stack frame, a source path, an error class dump or an AWS request id.
const LEAK =
  /\n\s*at |\bat \S+ \(|\w:\d+:\d+\)|\/work\/|node_modules|\.ts:\d|\.ts\b|\b\w*(Error|Exception):|RequestId|\$metadata/;

/** The request as text, to print next to a failed expectation. */
const show = (req: RawRequest, res: RawResponse): string =>
  `${req.method} ${req.path} -> ${res.status} ${res.text.slice(0, 600)}`;

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

function fail(req: RawRequest, res: RawResponse, what: string): never {
  throw new ContractViolation(`${what}\n  ${show(req, res)}`);
}

interface ErrorEnvelope {
  success: false;
  error: { code: string; message: string; details?: Record<string, unknown> };
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
export type Envelope = { success: true; data?: any; message?: string } | ErrorEnvelope;

/**
 * Asserts what every answer of a routed request must be: below 500, JSON, the contract's
 * envelope, a contract error code with its contract status, and no internal detail.
 */
export function expectContractAnswer(routeId: string, req: RawRequest, res: RawResponse): Envelope {
  if (res.status >= 500) fail(req, res, 'a 5xx answer');
  const tally = (outcome: string) =>
    outcomes.set(`${routeId}:${outcome}`, (outcomes.get(`${routeId}:${outcome}`) ?? 0) + 1);
  if (!String(res.headers['content-type']).startsWith('application/json'))
    fail(req, res, 'not JSON');
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    fail(req, res, 'a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null) fail(req, res, 'not an envelope');
  const envelope = body as Record<string, unknown>;
  if (envelope.success === true) {
    if (res.status >= 300) fail(req, res, 'success:true with an error status');
    if (routeId === 'cancel') {
      if (typeof envelope.message !== 'string') fail(req, res, 'cancel answer without message');
    } else {
      const schema = SUCCESS_DATA[routeId];
      const parsed = schema?.safeParse(envelope.data);
      if (!parsed?.success) fail(req, res, `data is not the ${routeId} contract shape`);
    }
    tally(String(res.status));
    return envelope as Envelope;
  }
  if (envelope.success !== false) fail(req, res, 'no success flag');
  const extra = Object.keys(envelope).filter((k) => k !== 'success' && k !== 'error');
  if (extra.length > 0) fail(req, res, `unexpected envelope keys ${extra.join(',')}`);
  const error = envelope.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null) fail(req, res, 'no error object');
  const code = error.code as string;
  if (!(code in CONTRACT_ERRORS)) fail(req, res, `error code ${code} is not in the contract`);
  if (CONTRACT_ERRORS[code] !== res.status) fail(req, res, `status differs from ${code}'s`);
  if (typeof error.message !== 'string') fail(req, res, 'no error message');
  const errorKeys = Object.keys(error).filter((k) => !['code', 'message', 'details'].includes(k));
  if (errorKeys.length > 0) fail(req, res, `unexpected error keys ${errorKeys.join(',')}`);
  const details = error.details as Record<string, unknown> | undefined;
  if (details !== undefined && (typeof details !== 'object' || details === null))
    fail(req, res, 'details is not an object');
  expectNoLeak(req, res, error.message, details);
  tally(code);
  return envelope as Envelope;
}

/**
 * Field names are echoed back (a metadata key is the client's text), so they are taken out
 * before looking for stack frames, source paths and error class dumps.
 */
function expectNoLeak(
  req: RawRequest,
  res: RawResponse,
  message: string,
  details: Record<string, unknown> | undefined,
) {
  const fields = (details?.fields ?? []) as { field?: unknown; message?: unknown }[];
  if (!Array.isArray(fields)) fail(req, res, 'details.fields is not a list');
  let text = message;
  const names = fields.map((f) => String(f.field)).sort((a, b) => b.length - a.length);
  for (const name of names) text = text.replaceAll(name, '');
  const { fields: _, ...rest } = details ?? {};
  const messages = fields.map((f) => String(f.message));
  for (const part of [text, JSON.stringify(rest), ...messages]) {
    if (LEAK.test(part)) fail(req, res, `internal detail in the error: ${part.slice(0, 200)}`);
  }
}

/**
 * What API Gateway answers itself for a request that reaches no route (an unmatched path, or
 * one that is not valid percent-encoding): a 4xx with a small JSON body, never a 5xx.
 */
export function expectGatewayAnswer(req: RawRequest, res: RawResponse): void {
  if (res.status >= 500 || res.status < 400) fail(req, res, 'not a 4xx gateway answer');
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    fail(req, res, 'a body that is not JSON');
  }
  const record = body as Record<string, unknown>;
  const gatewayShape = typeof record?.message === 'string' && Object.keys(record).length === 1;
  if (!gatewayShape) expectContractAnswer('', req, res);
}
