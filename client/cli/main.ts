#!/usr/bin/env node
/** The upload CLI: `upload-api upload <files and folders...>` (see `upload-api --help`). */
import { callerFolder } from './caller-folder.ts';
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
  cwd: callerFolder(process.cwd(), process.env),
});
process.exit(code);
