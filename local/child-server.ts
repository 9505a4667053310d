import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { PrerequisiteError, sleep, tail } from './python-venv.ts';

export interface ChildServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A free loopback port (or checks that `port` is free). */
export function freePort(port = 0): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  }).catch((err: Error) => {
    throw new PrerequisiteError(`port ${port} is in use: ${err.message}`);
  });
}

export interface ChildServerSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  /** A path on the server that answers 2xx once it is ready. */
  readonly readyPath: string;
  /** Reads that answer, when 2xx alone does not mean ready. */
  readonly isReady?: (answer: Response) => Promise<boolean>;
  readonly startTimeoutMs: number;
}

/** Spawns a server on a loopback port, waits until it answers, and kills it when this process exits. */
export async function startChildServer(spec: ChildServerSpec): Promise<ChildServer> {
  const endpoint = `http://127.0.0.1:${spec.port}`;
  const child = spawn(spec.command, spec.args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...spec.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  let spawnError: Error | undefined;
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = new Promise((resolve) => child.once('exit', resolve).once('error', resolve));
  child.once('error', (err) => (spawnError = err));
  const running = () => child.exitCode === null && child.signalCode === null && !spawnError;
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  for (const deadline = Date.now() + spec.startTimeoutMs; Date.now() < deadline; await sleep(100)) {
    const ready = await fetch(`${endpoint}${spec.readyPath}`, {
      signal: AbortSignal.timeout(1000),
    }).then(
      (res) => (res.ok ? (spec.isReady?.(res) ?? true) : false),
      () => false,
    );
    if (ready) return { endpoint, stop };
    if (spawnError)
      throw new PrerequisiteError(`cannot run ${spec.command}: ${spawnError.message}`);
    if (!running()) {
      if (/address already in use/i.test(stderr)) {
        throw new PrerequisiteError(`port ${spec.port} is in use: ${tail(stderr, 1)}`);
      }
      throw new Error(`${spec.name} exited before becoming ready:\n${tail(stderr, 20)}`);
    }
  }
  await stop();
  throw new Error(
    `${spec.name} did not answer on ${endpoint} within ${spec.startTimeoutMs / 1000}s:\n${tail(stderr, 20)}`,
  );
}
