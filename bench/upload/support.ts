/** Shared pieces of the upload benchmarks: units, statistics, tables, files, request counting. */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FetchLike } from '../../client/sdk/api.ts';
import { matchRoute } from '../../src/http/routes.ts';

/** Every "MB" in these benchmarks is a MiB (1,048,576 bytes), as in the 132 MB RSS goal. */
export const MIB = 1024 * 1024;

export const round = (value: number, digits = 1): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export const mibPerSecond = (bytes: number, seconds: number): number => bytes / MIB / seconds;

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p% at or below it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Columns whose every non-empty cell is a number (with an optional note in parentheses). */
function numericColumns(header: readonly string[], rows: readonly (readonly string[])[]) {
  const numeric = /^-?\d[\d.]*( \(.*\))?$/;
  return header.map(
    (_, i) => i > 0 && rows.every((r) => (r[i] ?? '') === '' || numeric.test(r[i] ?? '')),
  );
}

/** A plain-text table: numeric columns right-aligned, the others left-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = numericColumns(header, rows);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const right = numericColumns(header, rows);
  const escapeCell = (cell: string) =>
    cell.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (right[i] ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Writes `size` random bytes to `path`, 8 MiB at a time (never the whole file in memory). */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const block = Buffer.alloc(8 * MIB);
    for (let written = 0; written < size; ) {
      const n = Math.min(block.length, size - written);
      randomFillSync(block, 0, n);
      await handle.write(block.subarray(0, n));
      written += n;
    }
  } finally {
    await handle.close();
  }
}

export interface RequestCounter {
  /** Pass as the SDK's `fetch`: forwards to the global fetch and counts. */
  readonly fetch: FetchLike;
  /** Requests that reached the API (the URL starts with the API base), by route id. */
  readonly apiCalls: () => Record<string, number>;
  /** Every other request (the chunk PUTs to storage). */
  readonly otherCalls: () => number;
}

/**
 * Counts what the SDK sends: every request whose URL starts with `apiBase` is an API call,
 * attributed to its route with the server's own route table; retries count as calls.
 */
export function countingFetch(apiBase: string): RequestCounter {
  const api = new Map<string, number>();
  let other = 0;
  const fetch: FetchLike = (input, init) => {
    if (input.startsWith(apiBase)) {
      const method = (init?.method ?? 'GET').toUpperCase();
      const route = matchRoute(method, new URL(input).pathname)?.route.id ?? 'unmatched';
      api.set(route, (api.get(route) ?? 0) + 1);
    } else {
      other++;
    }
    return globalThis.fetch(input, init);
  };
  return { fetch, apiCalls: () => Object.fromEntries(api), otherCalls: () => other };
}

/** A line of progress on stderr, so that stdout carries only the results. */
export const note = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};
