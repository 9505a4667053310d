/** An ETag as S3 and browsers may report it (quoted, unquoted, weak) reduced to its value. */
export const normalizeEtag = (etag: string): string =>
  etag.trim().replace(/^W\//, '').replace(/"/g, '');

export const sameEtag = (a: string, b: string): boolean => normalizeEtag(a) === normalizeEtag(b);
