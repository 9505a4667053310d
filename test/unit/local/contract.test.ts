import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILE, generateContract } from '../../../local/contract.ts';

describe("the client's generated contract types", () => {
  it('match the OpenAPI document built from the server schemas (run npm run generate:contract)', async () => {
    // Act
    const fresh = await generateContract();

    // Assess
    expect(await readFile(CONTRACT_FILE, 'utf8')).toBe(fresh);
  });
});
