/**
 * The page side of browser.test.ts and browser-watch.test.ts: bundled with esbuild for the
 * browser (with the SDK it imports) and run in headless Chromium. The tests drive it through
 * `window.uploadTest` (uploads) and `window.watchTest` (watching a session).
 */
import {
  localStorageStore,
  type SessionStart,
  UploadAbortedError,
  type UploadProgress,
  upload,
  type Watch,
  type WatchMode,
  watch,
} from '../../client/sdk/index.ts';
import type { FileRecord, UploadProgressState } from '../../client/sdk/types.ts';

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

export interface WatchStart {
  readonly apiUrl: string;
  readonly token: string;
  readonly sessionId: string;
}

/** A progress message the page's watch delivered, and how the watch was connected then. */
export interface WatchSeen {
  readonly mode: WatchMode;
  readonly progress: UploadProgressState;
}

export interface WatchOutcome {
  readonly seen: WatchSeen[];
  /** Each mode the watch went through, in order. */
  readonly modes: WatchMode[];
  readonly reason: 'final' | 'closed' | 'error';
  readonly error?: { name: string; message: string; code?: string };
}

export interface PageApi {
  /** Makes a File of random bytes; resolves to their SHA-256 (hex, WebCrypto). */
  makeFile(name: string, size: number): Promise<string>;
  run(options: RunOptions): Promise<RunResult>;
}

/** browser-watch.test.ts's side: the SDK's `watch`, with the browser's own WebSocket. */
export interface WatchPageApi {
  /**
   * Watches a session with the SDK's `watch` and the browser's own WebSocket, drawing it in the
   * page; resolves with its first message (undefined if the watch ended first).
   */
  startWatch(options: WatchStart): Promise<WatchSeen | undefined>;
  /** The messages the watch has delivered so far. */
  watchSeen(): WatchSeen[];
  /** Resolves when the watch ends. */
  watchOutcome(): Promise<WatchOutcome>;
}

declare global {
  interface Window {
    uploadTest: PageApi;
    watchTest: WatchPageApi;
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

let watching: { watch: Watch; seen: WatchSeen[]; modes: WatchMode[] } | undefined;

/** The watched session as the page shows it: a progress bar and one line of text. */
function drawWatched(seen: WatchSeen): void {
  const { progress, mode } = seen;
  let view = document.getElementById('watch');
  if (!view) {
    view = document.createElement('section');
    view.id = 'watch';
    view.style.font = '16px system-ui, sans-serif';
    view.style.margin = '24px';
    view.innerHTML = '<h1></h1><progress style="width: 480px; height: 24px"></progress><p></p>';
    document.body.append(view);
  }
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  (view.querySelector('h1') as HTMLElement).textContent = `Watching ${progress.fileName}`;
  const bar = view.querySelector('progress') as HTMLProgressElement;
  bar.max = Math.max(1, progress.totalSize);
  bar.value = progress.uploadedBytes;
  (view.querySelector('p') as HTMLElement).textContent =
    `${mib(progress.uploadedBytes)} / ${mib(progress.totalSize)} ` +
    `(${progress.percentComplete.toFixed(1)}%), ${progress.chunksUploaded}/${progress.totalChunks} ` +
    `chunks, ${progress.status}, via ${mode === 'socket' ? 'WebSocket' : mode}`;
}

window.watchTest = {
  startWatch(options) {
    watching?.watch.close();
    const w = watch(options.sessionId, { apiUrl: options.apiUrl, token: options.token });
    const state = { watch: w, seen: [] as WatchSeen[], modes: [] as WatchMode[] };
    watching = state;
    w.on('mode', (mode) => state.modes.push(mode));
    w.on('progress', (progress) => {
      const seen = { mode: w.mode, progress };
      state.seen.push(seen);
      drawWatched(seen);
    });
    return new Promise((resolve) => {
      const off = w.on('progress', () => {
        off();
        resolve(state.seen[0]);
      });
      void w.closed.then(() => resolve(state.seen[0]));
    });
  },

  watchSeen: () => watching?.seen ?? [],

  async watchOutcome() {
    if (!watching) throw new Error('no watch started');
    const { watch: w, seen, modes } = watching;
    const ended = await w.closed;
    const error = ended.error as (Error & { code?: string }) | undefined;
    const code = error?.code ? { code: error.code } : {};
    return {
      seen,
      modes,
      reason: ended.reason,
      ...(error ? { error: { name: error.name, message: error.message, ...code } } : {}),
    };
  },
};
