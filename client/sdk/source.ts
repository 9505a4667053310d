/** Bytes to upload, read one range at a time (never the whole file at once). */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  /** Milliseconds since the epoch, when known (part of the resume fingerprint). */
  readonly lastModified?: number;
  /** MIME type, when known. */
  readonly type?: string;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Bytes [start, end) read into the start of `target` (at least `end - start` long), returning
   * that view of it. Sources that can offer this let the uploader reuse one buffer per worker
   * instead of allocating every chunk, which keeps memory flat on large files.
   */
  readInto?(
    start: number,
    end: number,
    target: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>>;
  /** Releases what the source holds open (a file handle). */
  close?(): Promise<void>;
}

export function isUploadSource(value: unknown): value is UploadSource {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.read === 'function' && typeof v.size === 'number' && typeof v.name === 'string';
}

/** A Blob or File as a source: each read slices it, so only that range is loaded. */
export function blobSource(blob: Blob, name?: string): UploadSource {
  const file = blob as Partial<File>;
  const fileName = name ?? (typeof file.name === 'string' && file.name ? file.name : 'blob');
  return {
    name: fileName,
    size: blob.size,
    ...(typeof file.lastModified === 'number' ? { lastModified: file.lastModified } : {}),
    ...(blob.type ? { type: blob.type } : {}),
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
  };
}
