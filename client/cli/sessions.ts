/** The caller's sessions across pages, and ids as the user gives them (session or file id). */
import type { CallOptions, UploadApiClient } from '../sdk/api.ts';
import { UploadApiError } from '../sdk/errors.ts';
import type { UploadSession } from '../sdk/types.ts';
import type { ListStatus } from './args.ts';

const PAGE = 100;

/**
 * Every session of the caller with this status, newest first, following `nextCursor` until it is
 * null (a page may hold fewer sessions than asked, even none, and still have a cursor).
 */
export async function* allSessions(
  api: UploadApiClient,
  status: ListStatus,
  options: CallOptions = {},
): AsyncGenerator<UploadSession> {
  let cursor: string | undefined;
  do {
    const page = await api.list({ status, limit: PAGE, ...(cursor ? { cursor } : {}) }, options);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * The session `id` names: the session with that id, else the one whose file id it is (found by
 * listing the caller's sessions). Throws SESSION_NOT_FOUND when neither exists.
 */
export async function findSession(
  api: UploadApiClient,
  id: string,
  options: CallOptions = {},
): Promise<UploadSession> {
  try {
    return await api.get(id, options);
  } catch (error) {
    if (!(error instanceof UploadApiError && error.code === 'SESSION_NOT_FOUND')) throw error;
    for await (const session of allSessions(api, 'all', options))
      if (session.fileId === id) return session;
    throw new UploadApiError(
      'SESSION_NOT_FOUND',
      `No upload has the session or file id ${id}`,
      404,
      undefined,
      { cause: error },
    );
  }
}
