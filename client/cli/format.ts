/** Pure text formatting for the CLI: sizes, rates, durations, progress lines and summaries. */
import { formatBytes } from '../sdk/bytes.ts';
import { percentOf } from '../sdk/progress.ts';

export { formatBytes };

/** Decimal megabytes per second, as network rates are usually given. */
export const formatRate = (bytesPerSecond: number): string =>
  `${(bytesPerSecond / 1_000_000).toFixed(1)} MB/s`;

/** `m:ss` or `h:mm:ss`; `--:--` while unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `0.4 s`, `12 s`, `3 min 5 s`, `2 h 4 min`: an elapsed time in words. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return whole % 60 > 0 ? `${m} min ${whole % 60} s` : `${m} min`;
}

/**
 * How one upload is moving, as the progress lines show it. `moving` is false for an upload that
 * is paused, waiting for its turn, retrying, or whose bytes have not advanced for a while: such
 * an upload shows no ETA, whatever its last rate was.
 */
export interface ProgressView {
  readonly sentBytes: number;
  readonly totalBytes: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
  readonly moving: boolean;
  /** Shown instead of the ETA when not moving (default `stalled`). */
  readonly note?: string;
}

/** `32.0 MiB / 64.0 MiB  50.0%`. */
export function bytesOfTotal(sent: number, total: number): string {
  const percent = percentOf(sent, total);
  return `${formatBytes(sent)} / ${formatBytes(total)}  ${percent.toFixed(1)}%`;
}

/** `32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s  ETA 0:04` (or `... stalled` when not moving). */
export function progressText(view: ProgressView): string {
  const head = bytesOfTotal(view.sentBytes, view.totalBytes);
  if (view.sentBytes >= view.totalBytes) return `${head}  ${formatRate(view.bytesPerSecond)}`;
  if (!view.moving || view.etaSeconds === null)
    return `${head}  ${view.moving ? formatRate(view.bytesPerSecond) : (view.note ?? 'stalled')}`;
  return `${head}  ${formatRate(view.bytesPerSecond)}  ETA ${formatEta(view.etaSeconds)}`;
}

/** `[#####.....] ` for a terminal; empty at width 0. */
export function bar(sent: number, total: number, width: number): string {
  if (width <= 0) return '';
  const filled = Math.round((percentOf(sent, total) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
}

/** One running file: `photos/a.jpg  [###...] 32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s  ETA 0:04`. */
export function fileProgressLine(name: string, view: ProgressView, barWidth = 0): string {
  return `${name}  ${bar(view.sentBytes, view.totalBytes, barWidth)}${progressText(view)}`;
}

export interface TotalCounts {
  readonly files: number;
  readonly finished: number;
  readonly running: number;
}

/** `total  3/7 files, 2 running  40.0 MiB / 81.2 MiB  49.3%  12.0 MB/s  ETA 0:03`. */
export function totalProgressLine(counts: TotalCounts, view: ProgressView, barWidth = 0): string {
  return (
    `total  ${counts.finished}/${counts.files} files, ${counts.running} running  ` +
    `${bar(view.sentBytes, view.totalBytes, barWidth)}${progressText(view)}`
  );
}

/** A file's outcome, as the summary lists it. */
export type Outcome = 'succeeded' | 'cancelled' | 'timedOut' | 'rejected' | 'errored';

export const OUTCOMES: readonly Outcome[] = [
  'succeeded',
  'cancelled',
  'timedOut',
  'rejected',
  'errored',
];

const OUTCOME_WORDS: Record<Outcome, string> = {
  succeeded: 'succeeded',
  cancelled: 'cancelled',
  timedOut: 'timed out',
  rejected: 'rejected',
  errored: 'errored',
};

export interface FinishedFile {
  readonly name: string;
  readonly state: Outcome;
  readonly bytes: number;
  /** Why it did not succeed, in one line. */
  readonly reason?: string;
}

/**
 * The end of an upload run: a count per outcome (and of files left unfinished by a stopped run),
 * then one line per file that did not succeed, with its reason.
 */
export function summaryLines(
  files: readonly FinishedFile[],
  elapsedMs: number,
  sentBytes: number,
  unfinished = 0,
): string[] {
  const count = (state: Outcome) => files.filter((f) => f.state === state).length;
  const counts = OUTCOMES.map((state) => `${count(state)} ${OUTCOME_WORDS[state]}`).join(', ');
  const rate = elapsedMs > 0 ? (sentBytes * 1000) / elapsedMs : 0;
  const all = files.length + unfinished;
  const lines = [
    `summary: ${counts}${unfinished > 0 ? `, ${unfinished} unfinished` : ''} ` +
      `(${all} ${all === 1 ? 'file' : 'files'}; ` +
      `${formatBytes(sentBytes)} sent in ${formatDuration(elapsedMs)}, ${formatRate(rate)})`,
  ];
  for (const file of files)
    if (file.state !== 'succeeded')
      lines.push(
        `  ${OUTCOME_WORDS[file.state]}: ${file.name}: ${file.reason ?? 'no reason given'}`,
      );
  return lines;
}

/** Columns padded to their widest cell (the last column is not padded). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** What `status` shows about a session. */
export interface StatusView {
  readonly sessionId: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly status: string;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
  readonly uploadedBytes: number;
  readonly totalSize: number;
  readonly percentComplete: number;
  readonly expiresAt: string;
  /** Measured between two samples; undefined when not measured (a finished upload). */
  readonly bytesPerSecond: number | undefined;
}

const ACTIVE = new Set(['initiated', 'uploading', 'completing']);

/** `status`: one `label: value` line each; speed and ETA only for an unfinished upload. */
export function statusLines(view: StatusView): string[] {
  const rows: [string, string][] = [
    ['file', view.fileName],
    ['status', view.status],
    ['chunks', `${view.chunksUploaded} / ${view.totalChunks}`],
    ['bytes', `${formatBytes(view.uploadedBytes)} / ${formatBytes(view.totalSize)}`],
    ['percent', `${view.percentComplete.toFixed(1)}%`],
  ];
  if (ACTIVE.has(view.status)) {
    const rate = view.bytesPerSecond ?? 0;
    const remaining = view.totalSize - view.uploadedBytes;
    rows.push(['speed', rate > 0 ? formatRate(rate) : 'not moving (paused or interrupted)']);
    rows.push(['ETA', rate > 0 ? formatEta(remaining / rate) : 'none while not moving']);
    rows.push(['expires', view.expiresAt]);
  }
  rows.push(['session', view.sessionId], ['file id', view.fileId]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`);
}

const SIZE = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const FACTORS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `8388608`, `8M`, `8MiB` (binary units) in bytes; undefined when unreadable. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase()[0] as string;
  const bytes = Number(match[1]) * (FACTORS[unit] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/i;
const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** `90s`, `30m`, `2h`, `500ms`, or a plain number of seconds, in ms; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (DURATION_MS[(match[2] ?? 's').toLowerCase()] ?? 1000);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
