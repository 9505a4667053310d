/**
 * Questions for `upload-api login`: on a terminal, typed answers (a password without echo); when
 * standard input is not a terminal, each answer is its next line, so scripts and tests can drive
 * the whole sign-in. Questions go to stderr either way.
 */
export interface PromptInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface Prompter {
  /** One answer; `secret` hides what is typed on a terminal. */
  ask(question: string, options?: { secret?: boolean }): Promise<string>;
  /** Whether a person is typing (a terminal), so a mistake can be asked again. */
  readonly interactive: boolean;
  close(): void;
}

/** Where questions are written (stderr). */
export interface PromptOutput {
  write(text: string): unknown;
}

const interrupted = () => new DOMException('Interrupted', 'AbortError');

export function createPrompter(
  input: PromptInput,
  output: PromptOutput,
  signal: AbortSignal,
): Prompter {
  if (input.isTTY && typeof input.setRawMode === 'function')
    return terminalPrompter(input, output, signal);
  return linePrompter(input, output, signal);
}

function linePrompter(input: PromptInput, output: PromptOutput, signal: AbortSignal): Prompter {
  const lines: string[] = [];
  const waiting: Array<() => void> = [];
  let buffered = '';
  let ended = false;
  let started = false;
  const wake = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  const onData = (chunk: string | Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split(/\r?\n/);
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    wake();
  };
  const onEnd = () => {
    if (buffered) lines.push(buffered);
    buffered = '';
    ended = true;
    wake();
  };
  const start = () => {
    if (started) return;
    started = true;
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
    input.resume();
  };
  return {
    interactive: false,
    async ask(question) {
      start();
      output.write(`${question}\n`);
      while (lines.length === 0) {
        if (signal.aborted) throw interrupted();
        if (ended)
          throw new Error(`no answer on standard input to "${question.replace(/:\s*$/, '')}"`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      return lines.shift() as string;
    },
    close() {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.pause();
    },
  };
}

function terminalPrompter(input: PromptInput, output: PromptOutput, signal: AbortSignal): Prompter {
  return {
    interactive: true,
    async ask(question, options = {}) {
      if (signal.aborted) throw interrupted();
      return readTyped(input, output, question, signal, !options.secret);
    },
    close() {},
  };
}

/**
 * Reads one typed line in raw mode, echoing it or (a secret) nothing; Backspace deletes, Ctrl-C
 * interrupts, Ctrl-D on an empty line gives up, escape sequences (arrow keys) are ignored.
 */
function readTyped(
  input: PromptInput,
  output: PromptOutput,
  question: string,
  signal: AbortSignal,
  echo: boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: unknown) => {
      input.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onAbort = () => finish(interrupted());
    const onData = (chunk: string | Buffer) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(interrupted());
        if (char === '\u0004' && !value) return finish(new Error('no answer (end of input)'));
        if (char === '\u001b') return; // an escape sequence (arrow keys...): the rest of it too
        if (char === '\u007f' || char === '\b') {
          if (echo && value) output.write('\b \b');
          value = value.slice(0, -1);
        } else if (char >= ' ') {
          value += char;
          if (echo) output.write(char);
        }
      }
    };
    output.write(question);
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
