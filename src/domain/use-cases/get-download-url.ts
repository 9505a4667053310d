import type { UploadDeps } from '../deps.ts';
import { epochSeconds, isoFromEpoch } from '../session.ts';
import { loadOwnedSession, stateError } from '../session-guards.ts';

export async function getDownloadUrl(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<{ url: string; expiresAt: string }> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  const now = deps.clock.now();
  if (session.status !== 'uploaded') throw stateError(session, now);
  const expiresIn = deps.policy.downloadUrlExpirySeconds;
  const url = await deps.storage.presignDownload({
    key: session.key,
    fileName: session.fileName,
    expiresInSeconds: expiresIn,
  });
  return { url, expiresAt: isoFromEpoch(epochSeconds(now) + expiresIn) };
}
