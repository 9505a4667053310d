import type { UploadDeps } from '../deps.ts';
import { type SessionView, toSessionView } from '../views.ts';

export interface ListUploadsInput {
  readonly userId: string;
  readonly status: 'active' | 'uploaded' | 'all';
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * One page of the caller's sessions, newest first. Reads are bounded per call, so a page may hold
 * fewer than `limit` items (even none) while `nextCursor` is not null.
 */
export async function listUploads(
  deps: UploadDeps,
  input: ListUploadsInput,
): Promise<{ items: SessionView[]; nextCursor: string | null }> {
  const now = deps.clock.now();
  const page = await deps.ledger.listSessions({
    userId: input.userId,
    filter: input.status,
    limit: input.limit,
    ...(input.cursor ? { cursor: input.cursor } : {}),
    now,
  });
  return { items: page.items.map((s) => toSessionView(s, now)), nextCursor: page.nextCursor };
}
