import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../../../src/http/error-response.ts';
import { ROUTES } from '../../../src/http/routes.ts';

const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

/** `### METHOD /path...` headings: the route and whether the heading says it is planned. */
const headings = [...doc.matchAll(/^### (GET|POST|PUT|DELETE) (\/\S+?)(?:\?\S*)?(?: .*)?$/gm)].map(
  ([line, method, path]) => ({ key: `${method} ${path}`, planned: /planned\s*$/.test(line) }),
);

describe('docs/api.md', () => {
  it('documents every route of the route table as served', () => {
    // Prepare
    const served = headings.filter((h) => !h.planned).map((h) => h.key);

    // Act & Assess
    expect(served.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('marks every documented route that the table lacks as planned', () => {
    // Prepare
    const known = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));

    // Act
    const unmarked = headings.filter((h) => !known.has(h.key) && !h.planned);

    // Assess
    expect(unmarked).toEqual([]);
  });

  it.each(Object.entries(STATUS_BY_CODE))(
    'lists %s with status %i in the error table',
    (code, status) => {
      // Act & Assess
      expect(doc).toMatch(new RegExp(`^\\|\\s*${status}\\s*\\|\\s*\`${code}\`\\s*\\|`, 'm'));
    },
  );
});
