/** Sizes, rates, durations and states as the page shows them. */
import { formatBytes, type SessionStatus, type TaskState } from '@upload-api/client';

export { formatBytes };

export const formatRate = (bytesPerSecond: number): string =>
  bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '';

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

export const TASK_STATE_LABELS: Readonly<Record<TaskState, string>> = {
  queued: 'Waiting',
  running: 'Uploading',
  paused: 'Paused',
  succeeded: 'Uploaded',
  cancelled: 'Cancelled',
  timedOut: 'Timed out',
  rejected: 'Rejected',
  errored: 'Failed',
};

export const SESSION_STATUS_LABELS: Readonly<Record<SessionStatus, string>> = {
  initiated: 'Started',
  uploading: 'Uploading',
  completing: 'Assembling',
  uploaded: 'Uploaded',
  cancelled: 'Cancelled',
  expired: 'Expired',
  failed: 'Failed',
  deleted: 'Deleted',
};

export const formatTime = (iso: string): string => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
};
