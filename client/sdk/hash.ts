/** Base64 SHA-256 (the encoding S3 uses) of a chunk. */
export type ChunkHasher = (bytes: Uint8Array<ArrayBuffer>) => string | Promise<string>;

/** SHA-256 of `bytes` in base64, with WebCrypto (browsers and Node). */
export async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return toBase64(digest);
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
