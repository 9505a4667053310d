import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSchemathesisInstalled } from '../../local/schemathesis.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/** Replay a failure with SCHEMATHESIS_SEED=<seed>; SCHEMATHESIS_EXAMPLES scales the run. */
const SEED = process.env.SCHEMATHESIS_SEED ?? '20260101';
const MAX_EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? '20';
const RUN_TIMEOUT_MS = 150_000;
const here = fileURLToPath(new URL('.', import.meta.url));

let st: string;
let harness: Harness;
let workDir: string;

beforeAll(async () => {
  st = await ensureSchemathesisInstalled((line) => console.log(`[schemathesis] ${line}`));
  // Every schema-valid initiate makes a live session: the default limit of 20 would turn most
  // of them into 429 and leave stateful testing without sessions to follow.
  harness = await startHarness({ MAX_ACTIVE_UPLOADS_PER_USER: '1000' });
  workDir = await mkdtemp(join(tmpdir(), 'schemathesis-'));
});
afterAll(async () => {
  await harness?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd: workDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Each test case of a JUnit report with failures or errors: its name and their codes. */
function junitProblems(xml: string): string[] {
  const cases = xml.matchAll(/<testcase\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g);
  return [...cases].flatMap(([, name, body]) => {
    const found = [...(body ?? '').matchAll(/<(failure|error)\b([^>]*)>/g)].map(
      ([, kind, attributes]) => /message="([^"]*)"/.exec(attributes ?? '')?.[1] ?? kind,
    );
    return found.length > 0 ? [`${name}: ${found.join(', ')}`] : [];
  });
}

describe('the OpenAPI document against the running API (Schemathesis)', () => {
  it('finds no failure in any phase, stateful included', {
    timeout: RUN_TIMEOUT_MS + 10_000,
  }, async () => {
    // Prepare
    const alice = await harness.as('schemathesis');
    const junit = join(workDir, 'junit.xml');

    // Act
    const result = await run(
      st,
      [
        '--config-file',
        join(here, 'schemathesis.toml'),
        'run',
        `${harness.url}/openapi.json`,
        '--checks',
        'all',
        // DELETE cancels: the session stays readable with status `cancelled`, as the contract says.
        // An unrouted method is 404 from API Gateway (and the local server), never 405.
        '--exclude-checks',
        'use_after_free,unsupported_method',
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--seed',
        SEED,
        '--max-examples',
        MAX_EXAMPLES,
        '--workers',
        '1',
        '--request-timeout',
        '10',
        '--generation-database',
        'none',
        '--header',
        `Authorization: Bearer ${alice.token}`,
        '--report',
        'junit',
        '--report-junit-path',
        junit,
        '--no-color',
      ],
      { SCHEMATHESIS_HOOKS: join(here, 'schemathesis_hooks.py') },
    );

    // Assess
    const report = await readFile(junit, 'utf8').catch(() => '');
    const problems = junitProblems(report);
    const summary = result.output.trim().split('\n').at(-1);
    if (result.code !== 0 || problems.length > 0 || !report) console.log(result.output);
    else console.log(`[schemathesis] ${summary}`);
    expect({ exitCode: result.code, problems, reported: report.length > 0 }).toEqual({
      exitCode: 0,
      problems: [],
      reported: true,
    });
  });
});
