/**
 * The local server's own request log: one compact, human-readable line per request (time, method,
 * route, status, duration, session id, and for errors the code and cause), built from what the
 * server saw and what the handler printed. Nothing here prints a header, a query string, a token
 * or a signature: the only free text (causes, unmatched paths) goes through the same scrubber as
 * the Lambda log lines (functions/commons/log-redaction.ts) and is cut short.
 */
import { redactSecrets } from '../functions/commons/log-redaction.ts';

/**
 * pretty: one readable line per request (`npm start`'s default).
 * json: the handlers' own Powertools JSON lines, as Lambda prints them (nothing captured).
 * none: nothing printed (benchmarks), the handler output still measured.
 */
export type LogFormat = 'pretty' | 'json' | 'none';

export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json', 'none'];

export interface RequestRecord {
  readonly startedAt: Date;
  readonly method: string;
  /** The route id (src/http/routes.ts) when a route served the request. */
  readonly routeId?: string;
  /** The route's path without the /api/v1 base, e.g. `/uploads/{id}/chunks`; else the path asked for. */
  readonly route: string;
  readonly status: number;
  /** From the request's arrival to the answer, in the server. */
  readonly durationMs: number;
  /** The handler invocation alone (what Lambda would bill), when a handler ran. */
  readonly handlerMs?: number;
  readonly sessionId?: string;
  /** For answers of 400 and above. */
  readonly error?: { readonly code: string; readonly cause?: string };
  /** Bytes the handler wrote to stdout/stderr (what Lambda ships to CloudWatch Logs), when captured. */
  readonly logBytes?: number;
}

const MAX_CAUSE = 240;
const MAX_PATH = 80;
const MAX_SESSION = 64;

/** Scrubbed of secrets, control characters made visible, and at most `max` characters. */
export function printable(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const clean = redactSecrets(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, HH:MM:SS.mmm. */
export function clockTime(date: Date): string {
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.${ms}`;
}

/**
 * `14:02:11.532 PUT    /uploads/{id}/chunks           200    48 ms  session 3f9c…`, and for an
 * error `... 409    12 ms  session 3f9c…  CHUNKS_MISSING: 2 chunks are missing`.
 */
export function formatRequestLine(record: RequestRecord): string {
  const parts = [
    clockTime(record.startedAt),
    record.method.toUpperCase().slice(0, 7).padEnd(6),
    printable(record.route, MAX_PATH).padEnd(34),
    String(record.status).padStart(3),
    `${Math.round(record.durationMs).toString().padStart(5)} ms`,
  ];
  let line = parts.join(' ');
  if (record.sessionId) line += `  session ${printable(record.sessionId, MAX_SESSION)}`;
  if (record.error) {
    const cause = record.error.cause ? `: ${printable(record.error.cause, MAX_CAUSE)}` : '';
    line += `  ${printable(record.error.code, 40)}${cause}`;
  }
  return line;
}

type LogRecord = Record<string, unknown>;

/** Powertools' access lines (functions/commons/http-route.ts). */
const ACCESS_MESSAGES = new Set(['request', 'request failed']);

export interface HandlerOutput {
  /** The invocation's access line (`request` or `request failed`), parsed. */
  readonly access?: LogRecord;
  /** Other Powertools log records, as compact lines (`WARN message`). */
  readonly other: readonly string[];
  /** Embedded-metric-format lines, as printed. */
  readonly metrics: readonly string[];
  /** Anything else the handler wrote (not JSON), scrubbed. */
  readonly text: readonly string[];
}

/** Splits what one invocation printed into its access record, other records, metrics and text. */
export function splitHandlerOutput(output: string): HandlerOutput {
  let access: LogRecord | undefined;
  const other: string[] = [];
  const metrics: string[] = [];
  const text: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (!record) text.push(printable(line, MAX_CAUSE));
    else if ('_aws' in record) metrics.push(line);
    else if (typeof record.message === 'string' && ACCESS_MESSAGES.has(record.message))
      access = record;
    else
      other.push(
        printable(`${String(record.level ?? 'LOG')} ${String(record.message ?? line)}`, MAX_CAUSE),
      );
  }
  return { ...(access ? { access } : {}), other, metrics, text };
}

function parseRecord(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `Name: message <- Cause: message`, from an error as Powertools formats it. */
export function describeLoggedError(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  const e = error as { name?: unknown; message?: unknown; cause?: unknown };
  const own = [e.name, e.message].filter((v) => typeof v === 'string' && v !== '').join(': ');
  const cause = describeLoggedError(e.cause, depth + 1);
  return [own, cause].filter(Boolean).join(' <- ') || undefined;
}

/**
 * The code and cause of an error answer: the code from the envelope (or the gateway's own
 * answer), the cause from the handler's logged error for a 5xx (the envelope hides it), else the
 * envelope's message.
 */
export function errorOf(
  status: number,
  body: string,
  access?: LogRecord,
): RequestRecord['error'] | undefined {
  if (status < 400) return undefined;
  let envelope: { error?: { code?: unknown; message?: unknown }; message?: unknown } | undefined;
  try {
    envelope = JSON.parse(body) as typeof envelope;
  } catch {
    envelope = undefined;
  }
  const code =
    typeof envelope?.error?.code === 'string'
      ? envelope.error.code
      : typeof access?.outcome === 'string' && access.outcome !== 'success'
        ? access.outcome
        : `HTTP_${status}`;
  const message =
    typeof envelope?.error?.message === 'string'
      ? envelope.error.message
      : typeof envelope?.message === 'string'
        ? envelope.message
        : undefined;
  const logged = status >= 500 ? describeLoggedError(access?.error) : undefined;
  const cause = logged ?? message;
  return cause ? { code, cause } : { code };
}

export interface LogOptions {
  readonly format: Exclude<LogFormat, 'none'>;
  /** Print Powertools' metrics (embedded metric format lines). */
  readonly metrics: boolean;
}

const truthy = (value: string | undefined) => /^(1|true|yes|on)$/i.test(value ?? '');

/**
 * `npm start`'s log options: `--log-format pretty|json` (or LOG_FORMAT), `--metrics` (or
 * LOG_METRICS=1); flags win. Anything else is refused with a message naming it.
 */
export function readLogOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): LogOptions {
  let format: string | undefined;
  let metrics: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--metrics') metrics = true;
    else if (arg === '--no-metrics') metrics = false;
    else if (arg === '--log-format') format = args[++i];
    else if (arg.startsWith('--log-format=')) format = arg.slice('--log-format='.length);
    else throw new Error(`unknown option ${arg} (try --log-format pretty|json, --metrics)`);
  }
  const chosen = (format ?? env.LOG_FORMAT ?? 'pretty').toLowerCase();
  if (chosen !== 'pretty' && chosen !== 'json')
    throw new Error(`log format must be pretty or json, got "${format ?? env.LOG_FORMAT}"`);
  return { format: chosen, metrics: metrics ?? truthy(env.LOG_METRICS) };
}
