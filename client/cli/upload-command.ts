/**
 * `upload <paths...>`: every file through one upload queue (files in parallel, one global limit
 * of chunk PUTs), resumable across runs through the JSON-file store, with live progress, one
 * result per file and a summary. Exit code 0 only when every file succeeded.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UploadTimeoutError } from '../sdk/errors.ts';
import { fingerprint } from '../sdk/fingerprint.ts';
import { jsonFileStore } from '../sdk/node.ts';
import { createFileUploadQueue } from '../sdk/node-queue.ts';
import { isStoredUpload } from '../sdk/store.ts';
import type { UploadOutcome, UploadTask } from '../sdk/task.ts';
import type { UploadCommand } from './args.ts';
import { collectFiles, duplicateNames, type LocalFile, PathError } from './collect-files.ts';
import type { Credentials } from './credentials.ts';
import { errorLine, isUnreachable } from './errors.ts';
import {
  type FinishedFile,
  formatBytes,
  formatDuration,
  OUTCOMES,
  summaryLines,
  table,
} from './format.ts';
import { type LiveOutput, liveOutput, plainIntervalFrom } from './live-output.ts';
import { retryBudgetFrom, retryForBudget } from './retry-budget.ts';
import type { Io } from './run.ts';
import { isOutcome, RunProgress } from './upload-progress.ts';

export interface UploadContext {
  readonly apiUrl: string;
  /** Asked once the files are known (not at all for --dry-run). */
  readonly credentials: () => Promise<Credentials>;
  readonly io: Io;
}

const EXIT = { ok: 0, error: 1, interrupted: 130 } as const;

/** `$UPLOAD_API_STATE`, else `~/.upload-api/sessions.json`. */
export const statePath = (env: Record<string, string | undefined>): string =>
  env.UPLOAD_API_STATE || join(homedir(), '.upload-api', 'sessions.json');

export async function uploadCommand(
  command: UploadCommand,
  context: UploadContext,
): Promise<number> {
  const { io, apiUrl } = context;
  const cwd = io.cwd ?? process.cwd();
  const collected = await collectFiles(command.paths, {
    cwd,
    include: command.include,
    exclude: command.exclude,
    contentType: command.contentType,
  });
  for (const [name, paths] of duplicateNames(collected.files))
    throw new PathError(
      `${paths.join(' and ')} would both be uploaded as "${name}"; upload them in separate commands`,
    );
  const { files } = collected;
  const leftOut = leftOutWords(collected.filtered, collected.filteredFolders);
  if (files.length === 0)
    throw new PathError(
      leftOut
        ? `nothing to upload: --include/--exclude left out ${leftOut}`
        : 'nothing to upload: the folders are empty',
    );
  for (const skipped of collected.skipped) io.stderr.write(`skipped ${skipped}\n`);
  if (command.dryRun) return dryRun(files, leftOut, io);
  const credentials = await context.credentials();
  return new UploadRun(command, files, apiUrl, credentials, io).run();
}

function dryRun(files: readonly LocalFile[], leftOut: string, io: Io): number {
  const rows = files.map((f) => [formatBytes(f.size), f.contentType, f.name]);
  for (const line of table(rows)) io.stdout.write(`${line}\n`);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  io.stdout.write(
    `${plural(files.length, 'file')}, ${formatBytes(total)}` +
      `${leftOut ? `; --include/--exclude left out ${leftOut}` : ''} (dry run: nothing uploaded)\n`,
  );
  return EXIT.ok;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `3 files and 1 folder`, or empty when nothing was left out. */
function leftOutWords(files: number, folders: number): string {
  const parts = [
    ...(files > 0 ? [plural(files, 'file')] : []),
    ...(folders > 0 ? [plural(folders, 'folder')] : []),
  ];
  return parts.join(' and ');
}

/** Why a run stopped before every file ended. */
type Stop =
  | { readonly why: 'interrupted' }
  | { readonly why: 'unreachable'; readonly line: string };

class UploadRun {
  private readonly command: UploadCommand;
  private readonly files: readonly LocalFile[];
  private readonly apiUrl: string;
  private readonly credentials: Credentials;
  private readonly io: Io;
  private readonly started = Date.now();
  private readonly progress: RunProgress;
  private readonly tasks: UploadTask[] = [];
  private readonly sessions = new Map<number, { resumed: boolean; totalChunks: number }>();
  private readonly finished: FinishedFile[] = [];
  private readonly live: LiveOutput;
  private readonly retryBudgetMs: number;
  private stop: Stop | undefined;
  private onStop: () => void = () => {};

  constructor(
    command: UploadCommand,
    files: readonly LocalFile[],
    apiUrl: string,
    credentials: Credentials,
    io: Io,
  ) {
    this.command = command;
    this.files = files;
    this.apiUrl = apiUrl;
    this.credentials = credentials;
    this.io = io;
    this.progress = new RunProgress(files, this.started);
    this.retryBudgetMs = retryBudgetFrom(io.env);
    this.live = liveOutput(io.stderr, (width) => this.progress.frame(Date.now(), width), {
      intervalMs: plainIntervalFrom(io.env),
    });
  }

  async run(): Promise<number> {
    const { command, files, io } = this;
    const state = statePath(io.env);
    const store = command.resume ? jsonFileStore(state) : undefined;
    const previous = store ? await this.previousSessions(state) : new Map<number, string>();
    const total = files.reduce((sum, f) => sum + f.size, 0);
    this.live.note(
      `uploading ${files.length} ${files.length === 1 ? 'file' : 'files'} (${formatBytes(total)}): ` +
        `${command.files} at a time, ${command.concurrency} chunk uploads in flight`,
    );
    // node:http for API calls and chunk PUTs, node:crypto for chunk hashes (the Node queue's
    // defaults); files are opened when their upload starts and closed when it ends.
    const queue = createFileUploadQueue({
      apiUrl: this.apiUrl,
      token: this.credentials.token,
      concurrency: command.concurrency,
      filesInParallel: command.files,
      store: store ?? false,
      retry: retryForBudget(this.retryBudgetMs),
      checksum: command.checksum ? 'SHA256' : 'NONE',
      ...(command.chunkSize !== undefined ? { chunkSize: command.chunkSize } : {}),
    });
    const stopped = new Promise<void>((resolve) => {
      this.onStop = resolve;
    });
    const interrupt = () => this.halt(queue, { why: 'interrupted' });
    if (io.signal.aborted) interrupt();
    else io.signal.addEventListener('abort', interrupt, { once: true });
    const settled: Promise<void>[] = [];
    try {
      files.forEach((file, index) => {
        let task: UploadTask;
        try {
          task = queue.add(file.path, {
            fileName: file.name,
            contentType: file.contentType,
            ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
          });
        } catch (error) {
          // Gone or changed into something else since the walk: this file fails, not the run.
          task = failedTask(file, error);
        }
        this.tasks.push(task);
        this.watch(task, index, previous.get(index));
        settled.push(
          task.done.then((outcome) => {
            this.progress.setState(index, outcome.state, Date.now());
            this.finish(index, outcome);
            if (outcome.state === 'errored' && isUnreachable(outcome.reason))
              this.halt(queue, { why: 'unreachable', line: errorLine(outcome.reason) });
          }),
        );
      });
      await Promise.race([Promise.all(settled), stopped]);
    } finally {
      io.signal.removeEventListener('abort', interrupt);
      this.live.close();
    }
    return this.end();
  }

  /** Stops starting and sending: every unfinished task is paused, its session kept. */
  private halt(queue: { pause(): void }, stop: Stop): void {
    if (this.stop) return;
    this.stop = stop;
    queue.pause();
    this.onStop();
  }

  private watch(task: UploadTask, index: number, storedSession: string | undefined): void {
    const file = this.files[index] as LocalFile;
    task.on('statechange', ({ to }) => this.progress.setState(index, to, Date.now()));
    task.on('progress', (p) => this.progress.progress(index, p, Date.now()));
    task.on('session', (session) => {
      this.sessions.set(index, { resumed: session.resumed, totalChunks: session.totalChunks });
      if (session.resumed) {
        const stored = session.totalChunks - session.missingChunks;
        this.live.note(
          `resuming ${file.display}: ${stored}/${session.totalChunks} chunks stored ` +
            `(session ${session.sessionId})`,
        );
      } else if (storedSession !== undefined && storedSession !== session.sessionId) {
        this.live.note(
          `the stored session ${storedSession} of ${file.display} is gone ` +
            '(expired, cancelled or failed): the upload starts over',
        );
      }
    });
    task.on('retry', (retry) => {
      const line = errorLine(retry.error, { token: this.credentials.lastToken() });
      this.progress.retrying(index, line);
      if (retry.attempt === 1 && isUnreachable(retry.error))
        this.live.note(
          `${file.display}: ${line}; retrying for about ${formatDuration(this.retryBudgetMs)}`,
        );
    });
  }

  /** One finished file: a result line now, and its place in the summary. */
  private finish(index: number, outcome: UploadOutcome): void {
    const file = this.files[index] as LocalFile;
    const task = this.tasks[index] as UploadTask;
    const session = this.sessions.get(index);
    const chunks = {
      resumed: session?.resumed ?? false,
      chunksSent: task.progress?.chunksSent ?? 0,
      totalChunks: session?.totalChunks ?? task.progress?.totalChunks ?? 0,
    };
    if (outcome.state === 'succeeded') {
      const record = outcome.file;
      this.finished.push({ name: file.name, state: 'succeeded', bytes: file.size });
      this.result(
        this.command.json
          ? JSON.stringify({
              type: 'file',
              state: 'succeeded',
              path: file.display,
              name: record.name,
              fileId: record.id,
              sessionId: record.sessionId,
              size: record.size,
              contentType: record.contentType,
              key: record.key,
              ...chunks,
            })
          : `uploaded ${file.name} (${formatBytes(file.size)}, ${record.contentType}) ` +
              `file ${record.id} session ${record.sessionId}`,
      );
      return;
    }
    const reason = this.reasonLine(outcome.reason, task.sessionId);
    this.finished.push({ name: file.name, state: outcome.state, bytes: file.size, reason });
    const code = (outcome.reason as { code?: unknown }).code;
    this.result(
      this.command.json
        ? JSON.stringify({
            type: 'file',
            state: outcome.state,
            path: file.display,
            name: file.name,
            sessionId: task.sessionId ?? null,
            size: file.size,
            contentType: file.contentType,
            ...chunks,
            error: { ...(typeof code === 'string' ? { code } : {}), message: reason },
          })
        : `${outcome.state} ${file.name}: ${reason}`,
    );
  }

  /** Why a file failed; an unreachable API or storage also says that the session is kept. */
  private reasonLine(reason: Error, sessionId: string | undefined): string {
    if (reason instanceof UploadTimeoutError)
      return (
        `did not finish within ${formatDuration(reason.timeoutMs)} (--timeout)` +
        (sessionId
          ? `; the session ${sessionId} is kept: run the same command again to resume`
          : '')
      );
    const line = errorLine(reason, { token: this.credentials.lastToken() });
    if (!isUnreachable(reason)) return line;
    return sessionId
      ? `${line}; the session ${sessionId} is kept: run the same command again to resume`
      : `${line}; nothing was stored yet: run the same command again to retry`;
  }

  /** A line for stdout (above the live lines on a terminal). */
  private result(line: string): void {
    this.live.note(line, this.io.stdout);
  }

  /** The summary, what is kept for the next run, and the exit code. */
  private end(): number {
    const { io, command } = this;
    const kept = this.tasks
      .map((task, index) => ({ task, index }))
      .filter(({ task }) => !isOutcome(task.state));
    const elapsed = Date.now() - this.started;
    const human = summaryLines(this.finished, elapsed, this.progress.bytesSent, kept.length);
    const out = (line: string) => (command.json ? io.stderr : io.stdout).write(`${line}\n`);
    for (const line of human) out(line);
    // Sessions the next run resumes: unfinished files', and those of files the outage stopped.
    const withSession = this.tasks.filter(
      (task) =>
        task.sessionId !== undefined &&
        (!isOutcome(task.state) || (task.state === 'errored' && isUnreachable(task.reason))),
    ).length;
    if (this.stop?.why === 'unreachable')
      io.stderr.write(
        `stopped: ${this.stop.line}, after retrying for about ${formatDuration(this.retryBudgetMs)}; ` +
          `${keptWords(withSession)}: run the same command again to resume\n`,
      );
    if (this.stop?.why === 'interrupted')
      io.stderr.write(
        `interrupted: ${keptWords(withSession)}: run the same command again to resume\n`,
      );
    const code =
      this.stop?.why === 'interrupted'
        ? EXIT.interrupted
        : this.finished.length === this.files.length &&
            this.finished.every((f) => f.state === 'succeeded')
          ? EXIT.ok
          : EXIT.error;
    if (command.json) {
      const count = (state: string) => this.finished.filter((f) => f.state === state).length;
      io.stdout.write(
        `${JSON.stringify({
          type: 'summary',
          files: this.files.length,
          ...Object.fromEntries(OUTCOMES.map((state) => [state, count(state)])),
          kept: kept.length,
          bytesSent: this.progress.bytesSent,
          seconds: Math.round(elapsed) / 1000,
          ...(this.stop ? { stopped: this.stop.why } : {}),
          exitCode: code,
        })}\n`,
      );
    }
    return code;
  }

  /**
   * The session each file's earlier run stored, to tell a resumed upload from one that starts
   * over. The state file (`{ key: StoredUpload }`, see jsonFileStore) is read once.
   */
  private async previousSessions(path: string): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    let entries: Record<string, unknown>;
    try {
      entries = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      return found; // none yet, or unreadable: the store starts afresh too
    }
    for (const [index, file] of this.files.entries()) {
      const key = fingerprint({
        apiUrl: this.apiUrl,
        name: file.name,
        size: file.size,
        lastModified: file.lastModified,
      });
      const stored = entries?.[key];
      if (isStoredUpload(stored)) found.set(index, stored.sessionId);
    }
    return found;
  }
}

/** A task that never ran: the file could not be queued (it vanished after the walk). */
function failedTask(file: LocalFile, error: unknown): UploadTask {
  const reason = error instanceof Error ? error : new Error(String(error));
  const outcome: UploadOutcome = { state: 'errored', reason };
  return {
    name: file.name,
    size: file.size,
    state: 'errored',
    sessionId: undefined,
    progress: undefined,
    file: undefined,
    reason,
    done: Promise.resolve(outcome),
    on: () => () => {},
    start: () => {},
    pause: () => {},
    resume: () => {},
    cancel: async () => {},
  };
}

const keptWords = (sessions: number): string =>
  sessions === 0
    ? 'nothing was stored yet'
    : sessions === 1
      ? 'the session is kept'
      : `the ${sessions} sessions are kept`;
