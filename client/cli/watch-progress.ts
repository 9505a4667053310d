/**
 * What `watch` shows of a session that uploads elsewhere: its bytes, a speed measured from the
 * changes it sees and an ETA, as one progress line. Pure: time comes from the caller.
 */
import { etaSeconds, RateMeter } from '../sdk/progress.ts';
import type { SessionStatus, UploadProgressState } from '../sdk/types.ts';
import { bar, bytesOfTotal, fileProgressLine, type ProgressView } from './format.ts';
import { STALL_MS } from './upload-progress.ts';

/** What is known of a session before its first progress message (from GET /uploads/{id}). */
export interface WatchedSession {
  readonly fileName: string;
  readonly totalSize: number;
  readonly uploadedBytes: number;
  readonly status: SessionStatus;
}

/** Statuses in which bytes still move. */
const SENDING = new Set<SessionStatus>(['initiated', 'uploading']);

export class WatchedProgress {
  private session: WatchedSession;
  /** Measures only this watch's changes; started again after a pause of the uploader. */
  private rate: RateMeter | undefined;
  private lastMoveAt: number | undefined;

  constructor(session: WatchedSession) {
    this.session = session;
  }

  get status(): SessionStatus {
    return this.session.status;
  }

  /**
   * A new state of the session. The bytes of the first change after a pause are not counted in
   * the speed (when they were sent is unknown): it is known from the second change on.
   */
  update(state: UploadProgressState, now: number): void {
    const moved = state.uploadedBytes - this.session.uploadedBytes;
    if (moved > 0) {
      const resting = this.lastMoveAt === undefined || now - this.lastMoveAt >= STALL_MS;
      if (resting || !this.rate) this.rate = new RateMeter(now);
      else this.rate.add(moved, now);
      this.lastMoveAt = now;
    }
    this.session = {
      fileName: state.fileName,
      totalSize: state.totalSize,
      uploadedBytes: state.uploadedBytes,
      status: state.status,
    };
  }

  view(now: number): ProgressView {
    const { uploadedBytes, totalSize, status } = this.session;
    const recent = this.lastMoveAt !== undefined && now - this.lastMoveAt < STALL_MS;
    const perSecond = SENDING.has(status) && recent ? (this.rate?.rate(now) ?? 0) : 0;
    const moving = perSecond > 0;
    return {
      sentBytes: uploadedBytes,
      totalBytes: totalSize,
      bytesPerSecond: Math.round(perSecond),
      etaSeconds: moving ? etaSeconds(totalSize - uploadedBytes, perSecond) : null,
      moving,
      note: this.note(now, recent),
    };
  }

  /**
   * `video.mp4  [#####.....] 5.0 MiB / 20.0 MiB  25.0%  10.0 MB/s  ETA 0:02` while bytes move;
   * otherwise why not (`waiting`, `measuring`, `idle for 12 s`), or the status once the
   * uploader has sent everything (`completing`, `uploaded`, `cancelled`...).
   */
  line(now: number, barWidth = 0): string {
    const { fileName, uploadedBytes, totalSize, status } = this.session;
    if (SENDING.has(status)) return fileProgressLine(fileName, this.view(now), barWidth);
    return `${fileName}  ${bar(uploadedBytes, totalSize, barWidth)}${bytesOfTotal(uploadedBytes, totalSize)}  ${status}`;
  }

  private note(now: number, recent: boolean): string {
    if (this.lastMoveAt === undefined) return 'waiting';
    if (recent) return 'measuring';
    return `idle for ${Math.round((now - this.lastMoveAt) / 1000)} s`;
  }
}
