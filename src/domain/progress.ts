import type { UploadSession } from './session.ts';

export function percentComplete(session: UploadSession): number {
  const ratio =
    session.fileSize > 0
      ? session.uploadedBytes / session.fileSize
      : session.chunksUploaded / session.totalChunks;
  return Math.round(Math.min(1, ratio) * 10_000) / 100;
}

/** "HH:MM:SS" from the average rate since the session began, or null while no rate is known. */
export function estimateTimeRemaining(session: UploadSession): string | null {
  if (session.status === 'uploaded') return formatDuration(0);
  if (session.uploadedBytes <= 0 || !session.lastChunkAt) return null;
  const elapsedSeconds = (Date.parse(session.lastChunkAt) - Date.parse(session.createdAt)) / 1000;
  if (elapsedSeconds <= 0) return null;
  const bytesPerSecond = session.uploadedBytes / elapsedSeconds;
  return formatDuration((session.fileSize - session.uploadedBytes) / bytesPerSecond);
}

export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.ceil(totalSeconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}
