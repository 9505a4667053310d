import { createHash } from 'node:crypto';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely and assert on them
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('base64');
export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** A thin HTTP client for the contract, used by the integration tests. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  }

  initiate(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return this.request('POST', '/uploads/initiate', body, headers);
  }

  chunkUrls(id: string, chunks: { chunkNumber: number; checksumSha256?: string }[]) {
    return this.request('POST', `/uploads/${id}/chunks`, { chunks });
  }

  record(id: string, chunkNumber: number, body: Record<string, unknown>) {
    return this.request('PUT', `/uploads/${id}/chunks/${chunkNumber}`, body);
  }

  /** Signs one chunk, PUTs its bytes to storage and returns the ETag storage answered with. */
  async putChunk(
    id: string,
    chunkNumber: number,
    bytes: Uint8Array,
    checksummed = true,
  ): Promise<string> {
    const signed = await this.chunkUrls(id, [
      { chunkNumber, ...(checksummed ? { checksumSha256: sha256(bytes) } : {}) },
    ]);
    if (signed.status !== 200) throw new Error(`chunk URL failed: ${JSON.stringify(signed.body)}`);
    const chunk = signed.body.data.chunks[0];
    const put = await fetch(chunk.url, {
      method: 'PUT',
      headers: chunk.headers,
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    if (!put.ok) throw new Error(`PUT failed with ${put.status}: ${await put.text()}`);
    return put.headers.get('etag') as string;
  }

  /** The full happy path for one chunk: sign, PUT, record. */
  async sendChunk(id: string, chunkNumber: number, bytes: Uint8Array, checksummed = true) {
    const etag = await this.putChunk(id, chunkNumber, bytes, checksummed);
    return this.record(id, chunkNumber, {
      etag,
      ...(checksummed ? { checksumSha256: sha256(bytes) } : {}),
    });
  }

  async download(id: string): Promise<Uint8Array> {
    const link = await this.request('GET', `/uploads/${id}/download`);
    if (link.status !== 200) throw new Error(`download failed: ${JSON.stringify(link.body)}`);
    const response = await fetch(link.body.data.url);
    return new Uint8Array(await response.arrayBuffer());
  }
}

/** Splits a file into the chunks the session asked for. */
export function chunksOf(bytes: Uint8Array, chunkSize: number): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  return chunks;
}
