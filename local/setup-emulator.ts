import { ensureLocalStackInstalled } from './localstack.ts';
import { ensureMotoInstalled } from './moto.ts';
import { PrerequisiteError } from './python-venv.ts';

/** Installs both emulators (CI runs this before the tests, so no test waits on pip). */
try {
  const log = (line: string) => console.error(line);
  console.log(await ensureMotoInstalled(log));
  console.log(await ensureLocalStackInstalled(log));
} catch (err) {
  console.error(err instanceof PrerequisiteError ? err.message : err);
  process.exit(1);
}
