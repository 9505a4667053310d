/**
 * `npm run build:web`: the upload page as static files in web/dist (index.html, app.js,
 * style.css and a config.json to edit), for any static host (S3 + CloudFront, ...);
 * `--out <dir>` writes them elsewhere (the stack's `site` builds the page that way).
 * Set `apiUrl` (the stack's ApiUrl without `/api/v1`), `liveUrl` (LiveUrl) and, for hosted sign-in,
 * `oidc` in config.json; the API must allow the page's origin (`allowedOrigins`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleWebApp, readWebFile, WEB_FILES } from '../local/web.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = values.out
  ? resolve(values.out)
  : fileURLToPath(new URL('./dist/', import.meta.url));

const EXAMPLE_CONFIG = {
  apiUrl: 'https://<api-id>.execute-api.<region>.amazonaws.com',
  liveUrl: 'wss://<live-api-id>.execute-api.<region>.amazonaws.com/live',
  oidc: {
    issuer: 'https://cognito-idp.<region>.amazonaws.com/<user-pool-id>',
    authorizationEndpoint: 'https://<domain>.auth.<region>.amazoncognito.com/oauth2/authorize',
    tokenEndpoint: 'https://<domain>.auth.<region>.amazoncognito.com/oauth2/token',
    logoutEndpoint: 'https://<domain>.auth.<region>.amazoncognito.com/logout',
    clientId: '<app-client-id>',
    scope: 'openid email',
  },
};

await mkdir(outDir, { recursive: true });
const { script } = await bundleWebApp({ minify: true });
await writeFile(join(outDir, 'app.js'), script);
for (const name of WEB_FILES) await writeFile(join(outDir, name), await readWebFile(name));
await writeFile(
  join(outDir, 'config.example.json'),
  `${JSON.stringify(EXAMPLE_CONFIG, null, 2)}\n`,
);
console.log(
  `wrote ${outDir}: index.html, app.js (${(script.length / 1024).toFixed(0)} KiB), style.css, ` +
    `config.example.json${values.out ? '' : ' (copy it to config.json and fill it in)'}`,
);
