import { PrerequisiteError } from './python-venv.ts';
import { ensureSchemathesisInstalled } from './schemathesis.ts';

/** Installs Schemathesis ahead of the tests (CI runs this, so no test waits on pip). */
try {
  console.log(await ensureSchemathesisInstalled((line) => console.error(line)));
} catch (err) {
  console.error(err instanceof PrerequisiteError ? err.message : err);
  process.exit(1);
}
