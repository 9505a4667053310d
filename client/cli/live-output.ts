/**
 * Progress on stderr. On a terminal, the live lines (running files, the total) are redrawn in
 * place every 200 ms and notes are printed above them; otherwise the live lines are printed as
 * plain lines every `intervalMs` (default 2 s; env UPLOAD_API_PROGRESS_MS), so logs stay short.
 */
export interface ErrorStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface LiveOutput {
  /** A line that stays (on a terminal, printed above the live lines), to stderr or `to`. */
  note(line: string, to?: { write(text: string): unknown }): void;
  /** Draws the live lines now. */
  draw(): void;
  /** Stops drawing; on a terminal the last live lines stay on screen. */
  close(): void;
}

export interface LiveOptions {
  /** How often plain (non-terminal) output prints the live lines. */
  readonly intervalMs?: number;
  /** How often a terminal redraws them. */
  readonly ttyIntervalMs?: number;
}

export const DEFAULT_PLAIN_INTERVAL_MS = 2000;

/** The interval of plain progress lines: `UPLOAD_API_PROGRESS_MS`, else 2 s. */
export function plainIntervalFrom(env: Record<string, string | undefined>): number {
  const text = env.UPLOAD_API_PROGRESS_MS;
  const value = text && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return value > 0 ? value : DEFAULT_PLAIN_INTERVAL_MS;
}

/**
 * `frame(width)` gives the live lines; `width` is the terminal's columns (lines are cut to fit,
 * since a wrapped line would break the redraw) or undefined for plain output.
 */
export function liveOutput(
  stream: ErrorStream,
  frame: (width: number | undefined) => string[],
  options: LiveOptions = {},
): LiveOutput {
  const tty = stream.isTTY === true;
  let drawn = 0; // live lines on screen now (terminal only)
  let printed = ''; // the last plain frame, not printed again while nothing changes
  let closed = false;
  const width = () => Math.max(20, (stream.columns ?? 80) - 1);
  const erase = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\r\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (closed) return;
    if (!tty) {
      const text = frame(undefined)
        .map((line) => `${line}\n`)
        .join('');
      if (text !== printed) stream.write(text);
      printed = text;
      return;
    }
    const lines = frame(width()).map((line) => line.slice(0, width()));
    erase();
    stream.write(lines.map((line) => `${line}\n`).join(''));
    drawn = lines.length;
  };
  const timer = setInterval(
    draw,
    tty ? (options.ttyIntervalMs ?? 200) : (options.intervalMs ?? DEFAULT_PLAIN_INTERVAL_MS),
  );
  timer.unref?.();
  return {
    note(line, to = stream) {
      if (tty && !closed) {
        erase();
        to.write(`${line}\n`);
        draw();
      } else to.write(`${line}\n`);
    },
    draw,
    close() {
      if (closed) return;
      if (tty) draw();
      closed = true;
      clearInterval(timer);
    },
  };
}
