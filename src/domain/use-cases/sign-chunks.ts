import { expectedChunkSize, partNumberOf } from '../chunk-plan.ts';
import type { UploadDeps } from '../deps.ts';
import { UploadError } from '../errors.ts';
import { epochSeconds, isoFromEpoch } from '../session.ts';
import { assertChunkNumber, assertOpen, loadOwnedSession } from '../session-guards.ts';

export interface ChunkUrlRequest {
  readonly chunkNumber: number;
  readonly checksumSha256?: string;
}

export interface ChunkUrl {
  readonly chunkNumber: number;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly size: number;
  readonly expiresAt: string;
}

export async function signChunks(
  deps: UploadDeps,
  input: { userId: string; sessionId: string; chunks: readonly ChunkUrlRequest[] },
): Promise<{ chunks: ChunkUrl[] }> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  const now = deps.clock.now();
  assertOpen(session, now);
  input.chunks.forEach((chunk, i) => {
    assertChunkNumber(session, chunk.chunkNumber, `chunks[${i}].chunkNumber`);
  });
  if (session.checksumMode === 'SHA256') {
    const unsigned = input.chunks.filter((c) => !c.checksumSha256).map((c) => c.chunkNumber);
    if (unsigned.length > 0) {
      throw new UploadError(
        'CHECKSUM_REQUIRED',
        'This session requires checksumSha256 for every chunk',
        {
          chunkNumbers: unsigned,
        },
      );
    }
  }
  // A URL never outlives its session.
  const nowSeconds = epochSeconds(now);
  const expiresIn = Math.max(
    1,
    Math.min(deps.policy.urlExpirySeconds, session.expiresAt - nowSeconds),
  );
  const expiresAt = isoFromEpoch(nowSeconds + expiresIn);
  const chunks = await Promise.all(
    input.chunks.map(async ({ chunkNumber, checksumSha256 }) => {
      const size = expectedChunkSize(session, chunkNumber);
      const signed = await deps.storage.presignPartUpload({
        key: session.key,
        uploadId: session.uploadId,
        partNumber: partNumberOf(chunkNumber),
        size,
        ...(checksumSha256 ? { checksumSha256 } : {}),
        expiresInSeconds: expiresIn,
      });
      return {
        chunkNumber,
        url: signed.url,
        method: 'PUT' as const,
        headers: signed.headers,
        size,
        expiresAt,
      };
    }),
  );
  return { chunks };
}
