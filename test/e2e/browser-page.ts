/**
 * The page side of browser.test.ts: bundled with esbuild for the browser (with the SDK it imports)
 * and run in headless Chromium. The test drives it through `window.uploadTest`.
 */
import {
  localStorageStore,
  type SessionStart,
  UploadAbortedError,
  type UploadProgress,
  upload,
} from '../../client/sdk/index.ts';
import type { FileRecord } from '../../client/sdk/types.ts';

const STORE_PREFIX = 'upload-api:';

export interface RunOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly fileName: string;
  readonly chunkSize: number;
  readonly concurrency: number;
  /** Abort (pause) once this many chunks are recorded. */
  readonly pauseAfterChunks?: number;
}

/** A request the page sent, as the wrapping fetch saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  /** 0 when the request failed without an answer (aborted, network error). */
  readonly status: number;
  /** Storage PUTs: the chunk number (S3 partNumber - 1). */
  readonly chunkNumber?: number;
  /** Storage PUTs: whether the page could read the ETag (CORS ExposeHeaders). */
  readonly etagVisible?: boolean;
}

export interface RunResult {
  readonly record?: FileRecord;
  readonly error?: { name: string; message: string; sessionId?: string };
  readonly session?: SessionStart;
  readonly progress: UploadProgress[];
  readonly requests: SeenRequest[];
  /** localStorage keys the resume store holds after the run. */
  readonly storedKeys: string[];
}

export interface PageApi {
  /** Makes a File of random bytes; resolves to their SHA-256 (hex, WebCrypto). */
  makeFile(name: string, size: number): Promise<string>;
  run(options: RunOptions): Promise<RunResult>;
}

declare global {
  interface Window {
    uploadTest: PageApi;
  }
}

const files = new Map<string, File>();
let requests: SeenRequest[] = [];

// Every request the SDK makes goes through the page's own fetch (the SDK's default): wrap it.
const pageFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const partNumber = url.searchParams.get('partNumber');
  const chunk = method === 'PUT' && partNumber ? { chunkNumber: Number(partNumber) - 1 } : {};
  const seen = { method, origin: url.origin, path: url.pathname, ...chunk };
  try {
    const response = await pageFetch(input, init);
    const etag =
      'chunkNumber' in chunk ? { etagVisible: response.headers.get('etag') !== null } : {};
    requests.push({ ...seen, status: response.status, ...etag });
    return response;
  } catch (error) {
    requests.push({ ...seen, status: 0 });
    throw error;
  }
};

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

window.uploadTest = {
  async makeFile(name, size) {
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 65_536)
      crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
    files.set(name, new File([bytes], name, { type: 'application/octet-stream' }));
    return hex(await crypto.subtle.digest('SHA-256', bytes));
  },

  async run(options) {
    const file = files.get(options.fileName);
    if (!file) throw new Error(`no file ${options.fileName}`);
    requests = [];
    const progress: UploadProgress[] = [];
    const controller = new AbortController();
    let session: SessionStart | undefined;
    const outcome = await upload(file, {
      apiUrl: options.apiUrl,
      token: options.token,
      chunkSize: options.chunkSize,
      concurrency: options.concurrency,
      store: localStorageStore({ prefix: STORE_PREFIX }),
      signal: controller.signal,
      onSession: (s) => {
        session = s;
      },
      onProgress: (p) => {
        progress.push(p);
        const pause = options.pauseAfterChunks;
        if (pause !== undefined && p.chunksSent >= pause) controller.abort();
      },
    }).then(
      (record) => ({ record }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        const sessionId = error instanceof UploadAbortedError ? error.sessionId : undefined;
        return { error: { name: e.name, message: e.message, ...(sessionId ? { sessionId } : {}) } };
      },
    );
    const storedKeys = Object.keys(localStorage).filter((k) => k.startsWith(STORE_PREFIX));
    return { ...outcome, ...(session ? { session } : {}), progress, requests, storedKeys };
  },
};
