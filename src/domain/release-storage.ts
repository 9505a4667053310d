import type { UploadStorage } from './ports.ts';

/**
 * Frees what storage holds for a session that will never finish: the multipart upload's parts,
 * and any object a completion assembled but never recorded (the key is the session's alone, so
 * nothing else can refer to it). Both steps are idempotent.
 */
export async function releaseStorage(
  storage: UploadStorage,
  session: { readonly key: string; readonly uploadId: string },
): Promise<void> {
  await storage.abortMultipartUpload(session.key, session.uploadId);
  await storage.deleteObject(session.key);
}
