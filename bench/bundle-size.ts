/**
 * Bundles every Lambda entry the way CDK's NodejsFunction would (ESM, minified, for Node 24) and
 * reports its size, self-contained and with `@aws-sdk/*` left to the runtime, and the time a
 * fresh Node process takes to import it. A benchmark that prints numbers, not a test.
 *
 *   npm run bench:bundles
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ROUTES } from '../src/http/routes.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
// `bench/results/*.tmp` is git-ignored; inside the project, `@aws-sdk/*` externals still resolve.
const OUT_DIR = join(RESULTS, 'bundles.tmp');
const GOAL_BYTES = 250 * 1024;
const RUNS = 5;

const ENTRIES = [...ROUTES.map((r) => r.handler), 'cleanup-expired'];

const IMPORT_ENV = {
  PATH: process.env.PATH ?? '',
  UPLOADS_TABLE: 'bench-table',
  UPLOADS_BUCKET: 'bench-bucket',
  AWS_REGION: 'us-east-1',
};

interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly topPackages: readonly { name: string; bytes: number }[];
}

async function bundle(name: string, variant: 'bundled' | 'sdk-external'): Promise<Bundle> {
  const file = join(OUT_DIR, variant, name, 'index.mjs');
  const result = await build({
    entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: 'external',
    mainFields: ['module', 'main'],
    // CJS dependencies call require(); an ESM bundle has none unless it makes one.
    banner: {
      js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
    external: variant === 'sdk-external' ? ['@aws-sdk/*'] : [],
    metafile: true,
    logLevel: 'error',
  });
  return { file, bytes: (await stat(file)).size, topPackages: topPackages(result.metafile, file) };
}

/** The packages (or `<project>`) that contribute most bytes to one output file. */
function topPackages(metafile: Metafile, file: string) {
  const output = metafile.outputs[relative(process.cwd(), file)];
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match?.[1] ?? '<project>';
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return [...bytes]
    .map(([name, n]) => ({ name, bytes: n }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

/** Wall times of `import()` of the bundle, each run in a fresh Node process. */
function importRuns(file: string): number[] {
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  return Array.from({ length: RUNS }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', code], {
        env: IMPORT_ENV,
        encoding: 'utf8',
      }).trim(),
    ),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const ms = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  await rm(OUT_DIR, { recursive: true, force: true });
  const rows = [];
  for (const name of ENTRIES) {
    const bundled = await bundle(name, 'bundled');
    const external = await bundle(name, 'sdk-external');
    const runs = importRuns(bundled.file);
    const externalRuns = importRuns(external.file);
    rows.push({
      function: name,
      entry: `functions/${name}.ts`,
      bundledBytes: bundled.bytes,
      sdkExternalBytes: external.bytes,
      bundledKB: kb(bundled.bytes),
      sdkExternalKB: kb(external.bytes),
      importMs: ms(median(runs)),
      sdkExternalImportMs: ms(median(externalRuns)),
      importRunsMs: runs.map(ms),
      sdkExternalImportRunsMs: externalRuns.map(ms),
      topPackages: bundled.topPackages,
    });
  }

  const header = ['function', 'KB min bundled', 'KB SDK external', 'import ms', 'import ms (ext)'];
  const lines = rows.map((r) => [
    r.function,
    r.bundledKB.toFixed(1),
    r.sdkExternalKB.toFixed(1),
    r.importMs.toFixed(1),
    r.sdkExternalImportMs.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]?.length ?? 0)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(`Node ${process.version}, esbuild ESM minified, target node24; KB = 1024 bytes`);
  console.log(`import ms: median of ${RUNS} fresh processes\n`);
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));

  const largest = rows.reduce((a, b) => (b.bundledBytes > a.bundledBytes ? b : a));
  const bundledPass = rows.every((r) => r.bundledBytes < GOAL_BYTES);
  const externalPass = rows.every((r) => r.sdkExternalBytes < GOAL_BYTES);
  const maxExternal = Math.max(...rows.map((r) => r.sdkExternalKB));
  console.log(
    `\nGoal: every bundle < 250 KB minified (self-contained): ${bundledPass ? 'PASS' : 'FAIL'}` +
      ` (largest ${largest.function}: ${largest.bundledKB} KB)`,
  );
  console.log(
    `      with @aws-sdk/* external:                       ${externalPass ? 'PASS' : 'FAIL'}` +
      ` (largest ${maxExternal} KB)`,
  );
  console.log(
    `Largest contributors to ${largest.function}: ${largest.topPackages
      .map((p) => `${p.name} ${kb(p.bytes)} KB`)
      .join(', ')}`,
  );

  await mkdir(RESULTS, { recursive: true });
  const json = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    goal: { maxMinifiedBytes: GOAL_BYTES, bundledPass, sdkExternalPass: externalPass },
    build: {
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: 'external (not counted)',
      mainFields: ['module', 'main'],
    },
    importRuns: RUNS,
    notes: [
      'KB = 1024 bytes of the minified .mjs; the external source map is not counted.',
      'importMs: median wall time of import() of the self-contained bundle in a fresh process.',
      "sdkExternalImportMs resolves @aws-sdk/* from this project's node_modules (unbundled ESM), not from the Lambda runtime's copy.",
      'Import times are wall-clock on a shared machine: compare rows, not absolute values.',
    ],
    functions: rows,
  };
  await writeFile(join(RESULTS, 'bundles.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nWrote bench/results/bundles.json; bundles in ${relative(ROOT, OUT_DIR)}/`);
}

await main();
