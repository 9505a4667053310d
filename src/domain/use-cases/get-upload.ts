import type { UploadDeps } from '../deps.ts';
import { loadOwnedSession } from '../session-guards.ts';
import { type SessionView, toSessionView } from '../views.ts';

export async function getUpload(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<SessionView> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  return toSessionView(session, deps.clock.now());
}
