import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const sdk = resolve(dirname(fileURLToPath(import.meta.url)), '../../../client/sdk');

/** Every module the browser entry point reaches, following relative imports. */
async function importGraph(entry: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const visit = async (file: string) => {
    if (graph.has(file)) return;
    const text = await readFile(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(
      (m) => m[1] as string,
    );
    graph.set(file, specifiers);
    for (const spec of specifiers) if (spec.startsWith('.')) await visit(join(dirname(file), spec));
  };
  await visit(entry);
  return graph;
}

describe('the browser entry point', () => {
  it('reaches no Node-only module', async () => {
    const graph = await importGraph(join(sdk, 'index.ts'));
    expect(graph.size).toBeGreaterThan(5);
    const nodeOnly = [...graph].flatMap(([file, specs]) =>
      specs
        .filter((s) => s.startsWith('node:') || s.endsWith('/node.ts'))
        .map((s) => `${file}: ${s}`),
    );
    expect(nodeOnly).toEqual([]);
    for (const file of graph.keys())
      expect(await readFile(file, 'utf8'), file).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
  });
});
