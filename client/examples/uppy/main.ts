/**
 * Uppy's Dashboard with `@uppy/aws-s3`, uploading through the upload API instead of Companion.
 * Bundle it for the browser, e.g.
 *   npx esbuild client/examples/uppy/main.ts --bundle --format=esm --outdir=client/examples/uppy
 * (writes main.js and main.css next to index.html), and open index.html with the API URL and a
 * bearer token in the fragment: `index.html#apiUrl=http://127.0.0.1:3000&token=...`.
 * The API must allow the page's origin (CORS_ALLOWED_ORIGINS) and the bucket's CORS must expose
 * the ETag header, as it does locally and in the CDK stack.
 */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
// An application imports this as '@upload-api/client/uppy'.
import { uploadApiUppyOptions } from '../../sdk/uppy.ts';

// The fragment never reaches the page's server; a real application asks its own auth for a token.
const config = new URLSearchParams(location.hash.slice(1));
const apiUrl = config.get('apiUrl') ?? 'http://127.0.0.1:3000';
const token = config.get('token') ?? '';

const uppy = new Uppy({ debug: false, autoProceed: false })
  .use(Dashboard, {
    inline: true,
    target: '#uppy',
    width: '100%',
    height: 420,
    proudlyDisplayPoweredByUppy: false,
  })
  .use(
    AwsS3,
    uploadApiUppyOptions({
      apiUrl,
      token,
      // Records each part in the server's ledger as soon as storage has it.
      uploadPartBytes: AwsS3.uploadPartBytes,
      // The adapter's default part size (5 MiB), raised as the server raises it for huge files.
      chunkSize: 5 * 1024 * 1024,
    }),
  );

uppy.on('upload-success', (file, response) => {
  console.log(`uploaded ${file?.name}: ${response.uploadURL}`);
});
uppy.on('upload-error', (file, error) => {
  console.error(`${file?.name} failed: ${error.message}`);
});

declare global {
  interface Window {
    /** The page's Uppy, for the console (and the end-to-end test). */
    uppy: typeof uppy;
  }
}
window.uppy = uppy;
