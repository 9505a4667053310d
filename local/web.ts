/**
 * The upload page (web/) and the interactive API reference (/docs), served by the local server.
 * The page's script is bundled by esbuild in memory from web/app.ts, with the SDK taken from
 * the `@upload-api/client` package's source entry (client/sdk/index.ts), once per process.
 * `npm run build:web` (web/build.ts) writes the same files to web/dist for static hosting.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { HttpResponse } from '../src/http/error-response.ts';
import { localOidc } from './auth.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const webDir = join(repoRoot, 'web');

/** The SDK package name resolves to its source entry, the module its `dist/sdk/index.js` is built from. */
const sdkFromSource: Plugin = {
  name: 'upload-api-client-source',
  setup(builder) {
    builder.onResolve({ filter: /^@upload-api\/client$/ }, () => ({
      path: join(repoRoot, 'client', 'sdk', 'index.ts'),
    }));
  },
};

export interface WebBundle {
  /** The page's script, one ES module. */
  readonly script: string;
  /** The input files, relative to the repository root. */
  readonly inputs: readonly string[];
}

/** Bundles web/app.ts for browsers; a Node-only import anywhere in its graph fails the build. */
export async function bundleWebApp(options: { minify?: boolean } = {}): Promise<WebBundle> {
  const result = await build({
    entryPoints: [join(webDir, 'app.ts')],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    write: false,
    metafile: true,
    minify: options.minify ?? false,
    sourcemap: false,
    logLevel: 'silent',
    plugins: [sdkFromSource],
  });
  return {
    script: result.outputFiles[0]?.text ?? '',
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** The page's static files besides the script. */
export const WEB_FILES = ['index.html', 'style.css'] as const;

export const readWebFile = (name: (typeof WEB_FILES)[number]): Promise<string> =>
  readFile(join(webDir, name), 'utf8');

const swaggerDir = () =>
  dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Upload API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** The page's hosted sign-in, when the local server trusts an OIDC issuer (local/auth.ts). */
function localPageConfig() {
  const oidc = localOidc();
  return oidc ? { oidc: { issuer: oidc.issuer, clientId: oidc.clientId, scope: oidc.scope } } : {};
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
} as const;

type Loader = () => Promise<{ type: keyof typeof TYPES; body: string }>;

/** Each file is read (or built) once, on its first request, and kept. */
function once(load: Loader): Loader {
  let cached: ReturnType<Loader> | undefined;
  return () => {
    cached ??= load();
    cached.catch(() => {
      cached = undefined; // a failed build is tried again on the next request
    });
    return cached;
  };
}

const FILES: Record<string, Loader> = {
  '/': once(async () => ({ type: 'html', body: await readWebFile('index.html') })),
  '/index.html': () => (FILES['/'] as Loader)(),
  '/app.js': once(async () => ({ type: 'js', body: (await bundleWebApp()).script })),
  '/style.css': once(async () => ({ type: 'css', body: await readWebFile('style.css') })),
  // Locally the page calls the API of its own origin; a deployed page reads its own config.json.
  '/config.json': async () => ({ type: 'json', body: JSON.stringify(localPageConfig()) }),
  '/docs': async () => ({ type: 'html', body: DOCS_HTML }),
  '/docs/': async () => ({ type: 'html', body: DOCS_HTML }),
  '/docs/init.js': async () => ({ type: 'js', body: DOCS_INIT }),
  '/docs/swagger-ui-bundle.js': once(async () => ({
    type: 'js',
    body: await readFile(join(swaggerDir(), 'swagger-ui-bundle.js'), 'utf8'),
  })),
  '/docs/swagger-ui.css': once(async () => ({
    type: 'css',
    body: await readFile(join(swaggerDir(), 'swagger-ui.css'), 'utf8'),
  })),
};

/** Whether a GET of `pathname` is the page, one of its files or /docs (local server only). */
export const isWebPath = (pathname: string): boolean =>
  pathname === '/favicon.ico' || Object.hasOwn(FILES, pathname);

/**
 * The page, its files and /docs for a GET of `pathname`; undefined for any other path, which
 * the server then routes as before.
 */
export async function serveWeb(pathname: string): Promise<HttpResponse | undefined> {
  if (pathname === '/favicon.ico') return { statusCode: 204, headers: {}, body: '' };
  if (!isWebPath(pathname)) return undefined;
  const load = FILES[pathname] as Loader;
  try {
    const { type, body } = await load();
    return {
      statusCode: 200,
      headers: {
        'content-type': TYPES[type],
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      },
      body,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      statusCode: 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `The upload page could not be built: ${message}`,
    };
  }
}
