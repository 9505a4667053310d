import { apiBaseUrl } from './api.ts';

export interface FingerprintInput {
  readonly apiUrl: string;
  readonly name: string;
  readonly size: number;
  readonly lastModified?: number | undefined;
  /** The whole file's SHA-256 (base64), when the caller knows it: then content decides. */
  readonly sha256?: string | undefined;
}

/**
 * The resume-store key of a file: the API it goes to and the file's name, size and modification
 * time (and its SHA-256 when known). A changed file gets a new key, so it never resumes a session
 * that holds other bytes.
 */
export function fingerprint(input: FingerprintInput): string {
  const modified =
    input.lastModified === undefined || Number.isNaN(input.lastModified)
      ? null
      : Math.trunc(input.lastModified);
  return JSON.stringify([
    'upload-api/v1',
    apiBaseUrl(input.apiUrl),
    input.name,
    input.size,
    modified,
    input.sha256 ?? null,
  ]);
}
