import { join } from 'node:path';
import { ensureVenv, type Log, repoRoot } from './python-venv.ts';

const SCHEMATHESIS = {
  name: 'schemathesis-venv',
  requirementsFile: join(repoRoot, 'local', 'requirements-schemathesis.txt'),
  minPython: [3, 11],
  purpose: 'Schemathesis (the OpenAPI contract test)',
} as const;

/** Installs the pinned Schemathesis on first use; returns its `st` command. */
export async function ensureSchemathesisInstalled(log?: Log): Promise<string> {
  const python = await ensureVenv(SCHEMATHESIS, log);
  return join(python, '..', 'st');
}
