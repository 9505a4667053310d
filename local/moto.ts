import { join } from 'node:path';
import { type ChildServer, freePort, startChildServer } from './child-server.ts';
import { ensureVenv, type Log, repoRoot } from './python-venv.ts';

const MOTO = {
  name: 'moto-venv',
  requirementsFile: join(repoRoot, 'local', 'requirements-moto.txt'),
  minPython: [3, 9],
  purpose: 'moto (the DynamoDB and Cognito emulator)',
} as const;

export const ensureMotoInstalled = (log?: Log): Promise<string> => ensureVenv(MOTO, log);

/**
 * moto's server (all services: DynamoDB, Cognito user pools, S3 as a fallback) with DynamoDB
 * calls serialised, on a loopback port.
 */
export async function startMoto(options: { port?: number; log?: Log } = {}): Promise<ChildServer> {
  const python = await ensureMotoInstalled(options.log);
  const port = await freePort(options.port);
  const server = await startChildServer({
    name: 'moto_server',
    command: python,
    args: [join(repoRoot, 'local', 'moto_server_atomic.py'), '127.0.0.1', String(port)],
    // Cognito user pools check TOTP codes (VerifySoftwareToken, SOFTWARE_TOKEN_MFA) only so.
    env: { ...process.env, MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' },
    port,
    readyPath: '/moto-api/',
    startTimeoutMs: 30_000,
  });
  options.log?.(`moto listening on ${server.endpoint}`);
  return server;
}
