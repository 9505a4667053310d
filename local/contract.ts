/**
 * Generates the client's wire types (`client/sdk/contract.ts`) from the OpenAPI document, which
 * is built from the server's zod schemas: the client keeps no hand-written copy of a shape.
 *
 *   npm run generate:contract          (writes the file)
 *   a unit test fails when the committed file differs from a fresh generation
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildOpenApiDocument } from '../src/http/openapi.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CONTRACT_FILE = join(ROOT, 'client', 'sdk', 'contract.ts');

const HEADER = `/**
 * Generated from the API's OpenAPI document by \`npm run generate:contract\`; do not edit.
 * The shapes are the server's zod schemas (src/http/schemas.ts).
 */
`;

export async function generateContract(): Promise<string> {
  const document = buildOpenApiDocument() as unknown as Parameters<typeof openapiTS>[0];
  const ast = await openapiTS(document, { alphabetize: false });
  return `${HEADER}${astToString(ast)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(CONTRACT_FILE, await generateContract());
}
