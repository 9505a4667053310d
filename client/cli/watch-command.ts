/**
 * `watch <id> [--live-url URL] [--json] [--poll]`: the live progress of an upload that runs
 * elsewhere (another terminal, machine or browser), through the SDK's `watch`: over the API's
 * WebSocket when one can be opened, else by polling GET /progress. Ends when the session reaches
 * a final status: exit 0 for `uploaded`, 1 for any other.
 */
import type { FetchLike, TokenProvider, UploadApiClient } from '../sdk/api.ts';
import type { UploadProgressState } from '../sdk/types.ts';
import { defaultLiveUrl, type WatchMode, type WebSocketConstructor, watch } from '../sdk/watch.ts';
import type { WatchCommand } from './args.ts';
import { errorLine } from './errors.ts';
import { formatBytes } from './format.ts';
import { type LiveOutput, liveOutput, plainIntervalFrom } from './live-output.ts';
import type { Io } from './run.ts';
import { findSession } from './sessions.ts';
import { WatchedProgress } from './watch-progress.ts';

export interface WatchContext {
  readonly api: UploadApiClient;
  readonly apiUrl: string;
  readonly token: TokenProvider;
  readonly io: Io;
  /** @default globalThis.WebSocket (Node 22+); none: polling, said once on stderr. */
  readonly WebSocket?: WebSocketConstructor | null;
  readonly fetch?: FetchLike;
  /** @default the SDK's (2 s) */
  readonly pollIntervalMs?: number;
}

const EXIT = { ok: 0, error: 1, interrupted: 130 } as const;

export async function watchCommand(command: WatchCommand, context: WatchContext): Promise<number> {
  const { io } = context;
  const session = await findSession(context.api, command.id, { signal: io.signal });
  const sessionId = session.id;
  const progress = new WatchedProgress({
    fileName: session.fileName,
    totalSize: session.fileSize,
    uploadedBytes: session.uploadedBytes,
    status: session.status,
  });
  const output: LiveOutput | undefined = command.json
    ? undefined
    : liveOutput(io.stderr, (width) => [progress.line(Date.now(), barWidth(width, session))], {
        intervalMs: plainIntervalFrom(io.env),
      });
  const note = (line: string) => (output ? output.note(line) : io.stderr.write(`${line}\n`));
  const liveUrl = command.liveUrl ?? defaultLiveUrl(context.apiUrl);
  const WebSocket = command.poll ? null : webSocketOf(context);
  if (!command.poll && !WebSocket)
    note(
      `no WebSocket in this Node (${process.version}; Node 22+ has one): ` +
        'polling the progress instead',
    );

  const w = watch(sessionId, {
    apiUrl: context.apiUrl,
    token: context.token,
    liveUrl,
    WebSocket,
    signal: io.signal,
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(context.pollIntervalMs ? { pollIntervalMs: context.pollIntervalMs } : {}),
  });
  let last: UploadProgressState | undefined;
  let done = false;
  w.on('progress', (state) => {
    last = state;
    progress.update(state, Date.now());
    if (command.json)
      io.stdout.write(
        `${JSON.stringify({ type: 'progress', sessionId, mode: w.mode, data: state })}\n`,
      );
  });
  if (WebSocket) w.on('mode', modeNotes(note, liveUrl));
  w.on('close', () => {
    done = true;
  });
  // Errors the watch retries are noted once each; a fatal one ends it (reported by run.ts).
  let lastError = '';
  w.on('error', (error) => {
    const line = errorLine(error);
    queueMicrotask(() => {
      if (!done && line !== lastError) note(`retrying: ${line}`);
      lastError = line;
    });
  });

  const ended = await w.closed;
  output?.draw();
  output?.close();
  if (ended.reason === 'error') throw ended.error;
  if (ended.reason === 'closed' || !last) {
    io.stderr.write('interrupted\n');
    return EXIT.interrupted;
  }
  const code = last.status === 'uploaded' ? EXIT.ok : EXIT.error;
  const human = await finalLine(context.api, last, io.signal);
  if (command.json) {
    io.stdout.write(
      `${JSON.stringify({
        type: 'final',
        sessionId,
        fileId: last.fileId,
        fileName: last.fileName,
        status: last.status,
        uploadedBytes: last.uploadedBytes,
        totalSize: last.totalSize,
        exitCode: code,
      })}\n`,
    );
    io.stderr.write(`${human}\n`);
  } else io.stdout.write(`${human}\n`);
  return code;
}

/** The given constructor, else the global one (browsers, Node 22+); null when there is none. */
function webSocketOf(context: WatchContext): WebSocketConstructor | null {
  if (context.WebSocket !== undefined) return context.WebSocket;
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? null;
}

/** The bar's width on a terminal: what the line leaves of it, up to 30; none in plain output. */
const barWidth = (width: number | undefined, session: { fileName: string }) =>
  width === undefined ? 0 : Math.max(0, Math.min(30, width - session.fileName.length - 60));

/** A note when the way of watching changes; nothing while it stays the same. */
function modeNotes(note: (line: string) => void, liveUrl: string): (mode: WatchMode) => void {
  let was: WatchMode = 'connecting';
  return (mode) => {
    if (mode === 'socket') note(`watching live over ${liveUrl}`);
    else if (mode === 'polling')
      note(`no live connection to ${liveUrl}: polling the progress, trying again now and then`);
    else if (was === 'socket') note('live connection lost: reconnecting');
    was = mode;
  };
}

/** `uploaded video.mp4 (20.0 MiB) file <id> session <id>`, or how the session ended instead. */
async function finalLine(
  api: UploadApiClient,
  state: UploadProgressState,
  signal: AbortSignal,
): Promise<string> {
  const size = formatBytes(state.totalSize);
  if (state.status === 'uploaded')
    return `uploaded ${state.fileName} (${size}) file ${state.fileId} session ${state.sessionId}`;
  let why = '';
  if (state.status === 'failed') {
    const error = await api.get(state.sessionId, { signal }).then(
      (session) => session.error,
      () => undefined,
    );
    if (error) why = `: ${error}`;
  }
  return (
    `${state.status} ${state.fileName} (${formatBytes(state.uploadedBytes)} of ${size} stored) ` +
    `session ${state.sessionId}${why}`
  );
}
