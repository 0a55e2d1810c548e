import { describe, expect, it } from 'vitest';
import { buildMatrix, documentedOperations, type Operation, renderMatrix, responseKeyFor, templateFor } from '../helpers/api-matrix';
import { call } from '../helpers/http';

// The other half of this check runs in Node after the whole suite: test/reporters/api-matrix.ts
// sets the operations listed here against the answers every test file produced, writes
// .ci/results/api-matrix.md and fails the run on a documented answer no test produced or a
// produced answer the document does not list.
describe('the operation × status matrix', () => {
  it('lists every (method, path, status) that /api/v1/openapi.json documents', async ({ task }) => {
    const res = await call('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const operations = documentedOperations(await res.json());
    expect(operations.length).toBeGreaterThan(0);
    for (const op of operations) {
      // A client needs at least one success answer per operation to know what a call returns.
      expect(
        op.statuses.some((status) => /^[123]/.test(status)),
        `${op.method} ${op.path} documents no success status`,
      ).toBe(true);
    }
    task.meta.apiOperations = operations;
  });
});

describe('the matrix arithmetic', () => {
  const operations: Operation[] = [
    { method: 'GET', path: '/api/v1/tasks', statuses: ['200', '401'] },
    { method: 'PATCH', path: '/api/v1/tasks/{id}', statuses: ['200', '404', '4XX'] },
    { method: 'GET', path: '/api/v1/intro-page/{userId}', statuses: ['200'] },
    { method: 'GET', path: '/api/v1/intro-page/{userId}/health', statuses: ['200', 'default'] },
  ];

  it('places a concrete path under its template, a literal segment winning over a parameter', () => {
    const templates = ['/api/v1/users/{userId}', '/api/v1/users/me', '/api/v1/intro-page/{userId}/health'];
    expect(templateFor(templates, '/api/v1/users/me')).toBe('/api/v1/users/me');
    expect(templateFor(templates, '/api/v1/users/alice')).toBe('/api/v1/users/{userId}');
    expect(templateFor(templates, '/api/v1/intro-page/alice/health')).toBe('/api/v1/intro-page/{userId}/health');
    expect(templateFor(templates, '/api/v1/intro-page/alice')).toBeUndefined();
    expect(templateFor(templates, '/api/v1/users/a/b')).toBeUndefined();
  });

  it('covers a status by its exact code, then its range, then default', () => {
    expect(responseKeyFor(['200', '4XX'], 404)).toBe('4XX');
    expect(responseKeyFor(['200', '404', '4XX'], 404)).toBe('404');
    expect(responseKeyFor(['200', 'default'], 503)).toBe('default');
    expect(responseKeyFor(['200'], 503)).toBeUndefined();
  });

  it('counts answers per triple, and names the documented ones never produced and the produced ones never documented', () => {
    const matrix = buildMatrix(operations, {
      'GET /api/v1/tasks 200': 3,
      'GET /api/v1/tasks 500': 1,
      'PATCH /api/v1/tasks/abc 404': 2,
      'PATCH /api/v1/tasks/abc 409': 1,
      'GET /api/v1/intro-page/alice/health 503': 1,
      'PUT /api/v1/tasks 405': 1,
      'GET /login 302': 5,
    });
    const triple = (row: { method: string; path: string; status: string }) => `${row.method} ${row.path} ${row.status}`;
    expect(matrix.unexercised.map(triple)).toEqual([
      'GET /api/v1/tasks 401',
      'PATCH /api/v1/tasks/{id} 200',
      'GET /api/v1/intro-page/{userId} 200',
      'GET /api/v1/intro-page/{userId}/health 200',
    ]);
    expect(matrix.undocumented.map(triple)).toEqual(['GET /api/v1/tasks 500']);
    expect(matrix.rows.find((row) => triple(row) === 'GET /api/v1/tasks 200')?.count).toBe(3);
    expect(matrix.rows.find((row) => triple(row) === 'PATCH /api/v1/tasks/{id} 4XX')?.count).toBe(1);
    expect(matrix.outside).toEqual([{ method: 'PUT', path: '/api/v1/tasks', status: 405 }]);
  });

  it('renders one row per operation and one column per status, with the gaps listed under it', () => {
    const matrix = buildMatrix(operations, { 'GET /api/v1/tasks 200': 3, 'GET /api/v1/tasks 500': 1 });
    const markdown = renderMatrix(matrix);
    expect(markdown).toContain('| operation | 200 | 401 | 404 | 4XX | 500 | default |');
    expect(markdown).toContain('| `GET /api/v1/tasks` | ✓ 3 | ✗ |  |  | ! 1 |  |');
    expect(markdown).toContain('**8 triples documented, 1 exercised; 7 unexercised, 1 undocumented.**');
    expect(markdown).toMatch(/## Produced, not documented[^\n]*\n\n- `GET \/api\/v1\/tasks` → 500/);
  });
});
