const MAX_NAME_LENGTH = 200;

/**
 * The object key is chosen by the server: a per-user prefix, the file id and a sanitized
 * name. Nothing the client sends can steer it into another prefix.
 */
export function buildObjectKey(userId: string, fileId: string, fileName: string): string {
  return `uploads/${encodeURIComponent(userId)}/${fileId}/${sanitizeFileName(fileName)}`;
}

export function sanitizeFileName(fileName: string): string {
  const base = fileName.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const safe = base
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_NAME_LENGTH);
  return safe.length > 0 ? safe : 'file';
}
