import { createHash } from 'node:crypto';

/** S3 refuses keys longer than this many UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
const MAX_NAME_LENGTH = 200;
const MAX_PLAIN_USER_LENGTH = 128;
const READABLE_USER_LENGTH = 32;
const utf8 = new TextEncoder();

/**
 * The object key is chosen by the server: a per-user prefix, the file id and a sanitized
 * name. Nothing the client sends can steer it into another prefix, or past S3's key size.
 */
export function buildObjectKey(userId: string, fileId: string, fileName: string): string {
  const prefix = `uploads/${userSegment(userId)}/${fileId}/`;
  return `${prefix}${sanitizeFileName(fileName, MAX_KEY_BYTES - utf8.encode(prefix).length)}`;
}

/**
 * One key segment per user: the same for the same sub, distinct for distinct subs, at most 128
 * bytes. A short, well-formed sub is percent-encoded as it always was (dots too, so it is never
 * `.` or `..`). Any other keeps a safe readable start and gets a hash of the whole sub after a
 * literal dot, which no encoded sub contains: the two forms never collide.
 */
export function userSegment(userId: string): string {
  if (userId.isWellFormed()) {
    const encoded = encodeURIComponent(userId).replace(/\./g, '%2E');
    if (encoded.length > 0 && encoded.length <= MAX_PLAIN_USER_LENGTH) return encoded;
  }
  const readable = userId
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, READABLE_USER_LENGTH)
    .replace(/^_+|_+$/g, '');
  // Hash the UTF-16 code units: as UTF-8, every lone surrogate would read as U+FFFD.
  const hash = createHash('sha256').update(userId, 'utf16le').digest('hex').slice(0, 32);
  return `${readable || 'user'}.${hash}`;
}

/** The last path component, reduced to letters, digits, `.`, `_`, `-`, within `maxBytes` of UTF-8. */
export function sanitizeFileName(fileName: string, maxBytes = MAX_KEY_BYTES): string {
  const base = fileName.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const replaced = base.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '');
  // Cut by code points: slicing UTF-16 units could split a character and leave an invalid key.
  const capped = Array.from(replaced).slice(0, MAX_NAME_LENGTH).join('');
  const safe = cutToUtf8Bytes(capped, maxBytes);
  return safe.length > 0 ? safe : 'file';
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8 (never half a character). */
function cutToUtf8Bytes(text: string, maxBytes: number): string {
  const { read } = utf8.encodeInto(text, new Uint8Array(Math.max(0, maxBytes)));
  return text.slice(0, read);
}
