const MAX_NAME_LENGTH = 200;

/**
 * The object key is chosen by the server: a per-user prefix, the file id and a sanitized
 * name. Nothing the client sends can steer it into another prefix.
 */
export function buildObjectKey(userId: string, fileId: string, fileName: string): string {
  return `uploads/${encodeURIComponent(userId).replace(/\./g, '%2E')}/${fileId}/${sanitizeFileName(fileName)}`;
}

export function sanitizeFileName(fileName: string): string {
  const base = fileName.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const replaced = base.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '');
  // Cut by code points: slicing UTF-16 units could split a character and leave an invalid key.
  const safe = Array.from(replaced).slice(0, MAX_NAME_LENGTH).join('');
  return safe.length > 0 ? safe : 'file';
}
