import { ensureMotoInstalled, PrerequisiteError } from './emulator.ts';

try {
  console.log(await ensureMotoInstalled((line) => console.error(line)));
} catch (err) {
  console.error(err instanceof PrerequisiteError ? err.message : err);
  process.exit(1);
}
