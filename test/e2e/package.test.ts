/**
 * The client as a user gets it: `npm pack` of the workspace, installed from the tarball into an
 * empty project, then used from plain JavaScript on the oldest Node found (20+), from TypeScript
 * with default NodeNext settings, from a browser bundle, and as the `upload-api` command.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { repoRoot } from './cli-runner.ts';

const exec = promisify(execFile);
const MIB = 1024 * 1024;
const clientManifest = JSON.parse(await readFile(join(repoRoot, 'client', 'package.json'), 'utf8'));

let harness: Harness;
let api: ApiClient;
let project: string;

/** The oldest `node` (>= 20) on PATH outside node_modules: Node 20 where the machine has it. */
async function oldestNode(): Promise<{ path: string; version: string }> {
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !dir.includes('node_modules'))
    .map((dir) => join(dir, 'node'));
  const found: { path: string; version: string }[] = [];
  for (const path of [...candidates, process.execPath]) {
    const version = await exec(path, ['--version']).then(
      ({ stdout }) => stdout.trim(),
      () => undefined,
    );
    if (version && Number(version.slice(1).split('.')[0]) >= 20) found.push({ path, version });
  }
  const major = (v: string) => Number(v.slice(1).split('.')[0]);
  found.sort((a, b) => major(a.version) - major(b.version));
  return found[0] as { path: string; version: string };
}

beforeAll(async () => {
  harness = await startHarness();
  api = await harness.as('package-user');
  project = await mkdtemp(join(tmpdir(), 'upload-client-user-'));
  const packed = await exec(
    'npm',
    ['pack', '--workspace', 'client', '--pack-destination', project, '--json'],
    { cwd: repoRoot, maxBuffer: 16 * MIB },
  );
  const { filename } = (JSON.parse(packed.stdout) as { filename: string }[])[0] as {
    filename: string;
  };
  const devTypes = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'))
    .devDependencies as Record<string, string>;
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'someone-elses-app', private: true, type: 'module' }),
  );
  await exec(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(project, filename),
      `typescript@${devTypes.typescript}`,
      `@types/node@${devTypes['@types/node']}`,
    ],
    { cwd: project, maxBuffer: 16 * MIB },
  );
}, 240_000);
afterAll(() => harness?.close());

describe('the packed client', () => {
  it('ships built JavaScript, types and the CLI, and no TypeScript sources', async () => {
    // Act
    const root = join(project, 'node_modules', ...clientManifest.name.split('/'));
    const installed = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const { stdout } = await exec('npm', ['pack', '--workspace', 'client', '--dry-run', '--json'], {
      cwd: repoRoot,
      maxBuffer: 16 * MIB,
    });
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path);

    // Assess
    expect(installed.version).toBe(clientManifest.version);
    expect(files).toContain('dist/sdk/index.js');
    expect(files).toContain('dist/sdk/index.d.ts');
    expect(files).toContain('dist/sdk/node.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('uploads from plain JavaScript on the oldest Node on this machine, bytes intact', async () => {
    // Prepare
    const node = await oldestNode();
    const bytes = randomBytes(11 * MIB);
    const file = join(project, 'payload.bin');
    await writeFile(file, bytes);
    await writeFile(
      join(project, 'upload.mjs'),
      [
        "import { UploadApiError, memoryStore } from '@upload-api/client';",
        "import { uploadFile } from '@upload-api/client/node';",
        'const [apiUrl, token, path] = process.argv.slice(2);',
        'if (typeof UploadApiError !== "function") throw new Error("no UploadApiError");',
        'const record = await uploadFile(path, { apiUrl, token, store: memoryStore(), chunkSize: 5 * 1024 * 1024 });',
        'console.log(JSON.stringify(record));',
      ].join('\n'),
    );

    // Act
    const { stdout } = await exec(node.path, ['upload.mjs', harness.url, api.token, file], {
      cwd: project,
    });
    const record = JSON.parse(stdout) as { key: string; size: number; name: string };
    const stored = await harness.s3.send(
      new GetObjectCommand({ Bucket: harness.bucket, Key: record.key }),
    );
    const storedBytes = await (
      stored.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();

    // Assess
    expect(node.version).toMatch(/^v\d+\./);
    expect(record).toMatchObject({ name: 'payload.bin', size: bytes.length });
    expect(createHash('sha256').update(storedBytes).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  }, 120_000);

  it('type-checks in a TypeScript project with default NodeNext settings (Uppy not installed)', async () => {
    // Prepare: strict, NodeNext, and lib checks on (skipLibCheck off), as `tsc --init` leaves it.
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'esnext',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    await writeFile(
      join(project, 'app.ts'),
      [
        "import { type FileRecord, type UploadSession, upload, UploadApiError } from '@upload-api/client';",
        "import { uploadFile } from '@upload-api/client/node';",
        "import { uploadApiUppyOptions } from '@upload-api/client/uppy';",
        "const uppyOptions = uploadApiUppyOptions({ apiUrl: 'x', token: 't' });",
        'const run = async (blob: Blob): Promise<FileRecord> =>',
        "  upload(blob, { apiUrl: 'http://127.0.0.1:3000', token: 'token', concurrency: 4 });",
        "const fromDisk: Promise<FileRecord> = uploadFile('a.bin', { apiUrl: 'x', token: async () => 't' });",
        "const status: UploadSession['status'] = 'uploaded';",
        'const isApiError = (e: unknown): boolean => e instanceof UploadApiError && e.code.length > 0;',
        'export { fromDisk, isApiError, run, status, uppyOptions };',
      ].join('\n'),
    );

    // Act
    const result = await exec(join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], {
      cwd: project,
    }).then(
      () => ({ code: 0, output: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );

    // Assess
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('bundles its main entry for the browser without any Node built-in', async () => {
    // Prepare
    await writeFile(
      join(project, 'browser.js'),
      "import { upload, localStorageStore } from '@upload-api/client';\nwindow.go = (f) => upload(f, { apiUrl: location.origin, token: 't', store: localStorageStore() });\n",
    );

    // Act
    const result = await build({
      absWorkingDir: project,
      entryPoints: ['browser.js'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text ?? '';

    // Assess
    expect(result.errors).toEqual([]);
    expect(code).toContain('/api/v1');
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it('installs the upload-api command, which tells its version', async () => {
    // Act
    const { stdout } = await exec(
      join(project, 'node_modules', '.bin', 'upload-api'),
      ['--version'],
      {
        cwd: project,
      },
    );

    // Assess
    expect(stdout.trim()).toBe(clientManifest.version);
  });
});
