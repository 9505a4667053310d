/**
 * What the handlers print during one invocation, kept apart from the rest of the process. In
 * Lambda a function's stdout and stderr go to CloudWatch Logs; here the handlers run in the server
 * process, so the server runs each invocation inside an AsyncLocalStorage scope and, while a
 * capture is installed, every write to process.stdout or process.stderr made inside an open scope
 * lands in that invocation's buffer instead of the terminal. The server then decides what to show
 * (one readable line, or nothing) and knows how many bytes Lambda would have shipped.
 *
 * The handlers are untouched: Powertools Logger and Metrics write JSON to the process streams
 * (their own Console on process.stdout/stderr) as they do in Lambda. Writes outside a scope, or
 * from work an invocation left behind after it returned, go through unchanged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Invocation {
  /** The route id (src/http/routes.ts) of the handler being run. */
  readonly route: string;
  /** Whether its writes are captured (false: they go through, as in Lambda). */
  readonly capture: boolean;
  /** What the handler wrote while capture was installed. */
  output: string;
  /** The same, in UTF-8 bytes. */
  bytes: number;
  /** True until the handler's promise settles. */
  open: boolean;
}

const scope = new AsyncLocalStorage<Invocation>();

/** The invocation whose code is running now, if a handler is running and has not returned. */
export function currentInvocation(): Invocation | undefined {
  const invocation = scope.getStore();
  return invocation?.open ? invocation : undefined;
}

export function newInvocation(route: string, capture: boolean): Invocation {
  return { route, capture, output: '', bytes: 0, open: true };
}

/** Runs a handler call as `invocation`, which is closed when the call settles. */
export async function runInvocation<T>(invocation: Invocation, call: () => Promise<T>): Promise<T> {
  try {
    return await scope.run(invocation, call);
  } finally {
    invocation.open = false;
  }
}

type Write = NodeJS.WriteStream['write'];
type Callback = (error?: Error | null) => void;

let installs = 0;
const wrapped = new Map<NodeJS.WriteStream, { original: Write; wrapper: Write }>();

function wrap(stream: NodeJS.WriteStream): void {
  const original = stream.write;
  const wrapper = function (
    this: NodeJS.WriteStream,
    ...args: [chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback]
  ): boolean {
    const invocation = installs > 0 ? currentInvocation() : undefined;
    if (!invocation?.capture) return Reflect.apply(original, this, args);
    const [chunk, encoding, callback] = args;
    const text =
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    invocation.output += text;
    invocation.bytes +=
      typeof chunk === 'string'
        ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8')
        : chunk.byteLength;
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) process.nextTick(done);
    return true;
  } as Write;
  stream.write = wrapper;
  wrapped.set(stream, { original, wrapper });
}

/**
 * Starts capturing what invocations write to process.stdout and process.stderr; returns the
 * function that stops it (captures nest: the streams are restored when the last one stops).
 */
export function installCapture(): () => void {
  if (installs++ === 0 && wrapped.size === 0) {
    wrap(process.stdout);
    wrap(process.stderr);
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--installs > 0) return;
    for (const [stream, { original, wrapper }] of wrapped) {
      // Someone wrapped the stream after us (a test spy): leave theirs; ours now passes through.
      if (stream.write !== wrapper) continue;
      stream.write = original;
      wrapped.delete(stream);
    }
  };
}
