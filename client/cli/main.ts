#!/usr/bin/env node
/** The upload CLI: `npm run -s cli -- upload <file>` (see `--help`). */
import { EXIT, run } from './run.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C: stop now
  interrupt.abort(new DOMException('Interrupted', 'AbortError'));
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
process.exit(code);
