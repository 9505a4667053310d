/**
 * Builds the CLI into one JavaScript file, the form an installed CLI takes: `npm run cli` runs
 * it, and so do the end-to-end tests and the memory benchmark. Running the TypeScript sources
 * directly also works (Node 24 strips the types), but the type stripper alone adds ~40 MB.
 *
 *   node client/cli/build.ts [outfile]     (default dist/upload-api.mjs)
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CLI_BUNDLE = join(ROOT, 'dist', 'upload-api.mjs');

/** The client package's version, injected into the bundle (see version.ts). */
async function clientVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'client', 'package.json'), 'utf8'));
  return String(manifest.version);
}

export async function buildCli(outfile: string = DEFAULT_CLI_BUNDLE): Promise<string> {
  await build({
    entryPoints: [join(ROOT, 'client', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    define: { __UPLOAD_API_VERSION__: JSON.stringify(await clientVersion()) },
    // The Cognito sign-in library (login only) is CommonJS and requires Node built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
