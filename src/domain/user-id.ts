import { createHash } from 'node:crypto';

/** DynamoDB keys hold at most 2,048 bytes; `USER#<id>` and its index keys must fit with room. */
const MAX_READABLE_BYTES = 512;
const HASHED_PREFIX = 'sub-sha256:';

/**
 * The user id a token's `sub` becomes. Any well-formed sub of up to 512 UTF-8 bytes is kept as
 * is; a longer one, or one with a lone surrogate (which DynamoDB and S3 cannot store), becomes a
 * SHA-256 of its UTF-16 code units. A sub that already looks hashed is hashed too, so no chosen
 * sub can pose as another user's hashed id.
 */
export function userIdOf(sub: string): string {
  const readable =
    sub.isWellFormed() &&
    !sub.startsWith(HASHED_PREFIX) &&
    Buffer.byteLength(sub, 'utf8') <= MAX_READABLE_BYTES;
  if (readable) return sub;
  return `${HASHED_PREFIX}${createHash('sha256').update(sub, 'utf16le').digest('hex')}`;
}
