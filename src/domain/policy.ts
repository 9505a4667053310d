/** The limits and lifetimes an operator configures; read once from config. */
export interface UploadPolicy {
  readonly defaultChunkSize: number;
  readonly maxFileSize: number;
  readonly sessionTtlSeconds: number;
  readonly urlExpirySeconds: number;
  readonly downloadUrlExpirySeconds: number;
  readonly maxLiveSessionsPerUser: number;
  /** Exact types (`image/png`), families (`image/*`) or `*` for any. */
  readonly allowedContentTypes: readonly string[];
  /** How long a racing `complete` waits for the winner before answering COMPLETION_IN_PROGRESS. */
  readonly completionWaitMs: number;
  /** A `completing` session older than this is presumed abandoned by a crashed request. */
  readonly completionStaleSeconds: number;
  /**
   * How long an uploaded file (its object and its record) is kept after completion; undefined
   * keeps it until it is deleted.
   */
  readonly uploadedRetentionSeconds: number | undefined;
}

export function isContentTypeAllowed(contentType: string, allowed: readonly string[]): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return allowed.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    if (p === '*' || p === '*/*') return true;
    if (p.endsWith('/*')) return type.startsWith(p.slice(0, -1));
    return type === p;
  });
}
