/** Pure text formatting for the CLI: sizes, rates, durations and the progress line. */
import { percentOf, type UploadProgress } from '../sdk/progress.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

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

/**
 * `[#####.....] 32.0 MiB / 64.0 MiB  50.0% (48.4% recorded)  12.3 MB/s  ETA 0:03`: the bar and
 * the bytes are what storage has taken, the parenthesis what the server has recorded.
 */
export function progressLine(progress: UploadProgress, barWidth = 24): string {
  const sent =
    progress.totalBytes > 0 ? percentOf(progress.sentBytes, progress.totalBytes) : progress.percent;
  const filled = Math.round((sent / 100) * barWidth);
  const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` : '';
  return (
    `${bar}${formatBytes(progress.sentBytes)} / ${formatBytes(progress.totalBytes)}  ` +
    `${sent.toFixed(1)}% (${progress.percent.toFixed(1)}% recorded)  ` +
    `${formatRate(progress.bytesPerSecond)}  ETA ${formatEta(progress.etaSeconds)}`
  );
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
