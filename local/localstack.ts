import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChildServer, freePort, startChildServer } from './child-server.ts';
import { ensureVenv, findPython, type Log, localDir, repoRoot } from './python-venv.ts';

const MIN_PYTHON = [3, 13] as const;

const LOCALSTACK = {
  name: 'localstack-venv',
  requirementsFile: join(repoRoot, 'local', 'requirements-localstack.txt'),
  minPython: MIN_PYTHON,
  purpose: 'LocalStack (the S3 emulator)',
} as const;

export const ensureLocalStackInstalled = (log?: Log): Promise<string> =>
  ensureVenv(LOCALSTACK, log);

/** Whether this machine has a Python LocalStack can run on. */
export const canRunLocalStack = async (): Promise<boolean> => !!(await findPython(MIN_PYTHON));

/**
 * LocalStack's S3 on the host, strict like S3: presigned URLs are checked (signature, signed
 * headers such as content-length, expiry) against the secret `test`, and checksums are verified.
 * Its state lives in memory and in a folder of its own under .local/, removed on start.
 */
export async function startLocalStackS3(
  options: { port?: number; log?: Log } = {},
): Promise<ChildServer> {
  const python = await ensureLocalStackInstalled(options.log);
  const port = await freePort(options.port);
  const root = join(localDir, 'localstack', String(port));
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const server = await startChildServer({
    name: 'LocalStack',
    command: python,
    args: ['-m', 'localstack.runtime.main'],
    env: {
      ...process.env,
      SERVICES: 's3',
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      DNS_ADDRESS: '0',
      S3_SKIP_SIGNATURE_VALIDATION: '0',
      DISABLE_EVENTS: '1',
      SKIP_SSL_CERT_DOWNLOAD: '1',
      // Run as on a host even inside a container, so every folder it writes is under `root`.
      OVERRIDE_IN_DOCKER: '0',
      FILESYSTEM_ROOT: root,
      PERSISTENCE: '0',
      // Loads S3 before it reports ready: lazily, the first request takes seconds.
      EAGER_SERVICE_LOADING: '1',
    },
    port,
    readyPath: '/_localstack/health',
    isReady: async (answer) =>
      ((await answer.json()) as { services?: { s3?: string } }).services?.s3 === 'running',
    startTimeoutMs: 60_000,
  });
  options.log?.(`LocalStack S3 listening on ${server.endpoint}`);
  return {
    endpoint: server.endpoint,
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
