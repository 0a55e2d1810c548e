/**
 * The operation × status matrix: every (method, path, status) the OpenAPI document promises,
 * against every answer the suites actually produced. Pure, so it runs in workerd (the tests of
 * the matrix itself) and in Node (the reporter that writes .ci/results/api-matrix.md).
 */

/** One operation of the document and the response keys it lists ("200", "4XX", "default"). */
export interface Operation {
  method: string;
  path: string;
  statuses: string[];
}

/** How often each answer was produced, keyed by {@link answerKey}. */
export type AnswerCounts = Record<string, number>;

/** A response the app gave during the suite: the request's method and concrete path. */
export interface Answer {
  method: string;
  path: string;
  status: number;
}

export interface MatrixRow {
  method: string;
  path: string;
  /** The documented response key, or the produced status when the document lacks it. */
  status: string;
  documented: boolean;
  /** Answers produced for this triple (0: documented but never exercised). */
  count: number;
}

export interface Matrix {
  operations: Operation[];
  rows: MatrixRow[];
  /** Documented triples no test produced. */
  unexercised: MatrixRow[];
  /** Produced answers the document does not list for their operation. */
  undocumented: MatrixRow[];
  /** Answers on a documented path under a method that has no operation (405s, HEAD): shown, not failed. */
  outside: Answer[];
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> } | unknown>>;
}

export function answerKey(answer: Answer): string {
  return `${answer.method} ${answer.path} ${answer.status}`;
}

export function parseAnswerKey(key: string): Answer {
  const [method = '', path = '', status = ''] = key.split(' ');
  return { method, path, status: Number(status) };
}

/** Every operation of an OpenAPI 3.x document, in document order. */
export function documentedOperations(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method] as { responses?: Record<string, unknown> } | undefined;
      return operation ? [{ method: method.toUpperCase(), path, statuses: Object.keys(operation.responses ?? {}) }] : [];
    }),
  );
}

function templatePattern(path: string): RegExp {
  const parts = path.split(/(\{[^}/]+\})/).map((part) => (/^\{[^}/]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}

/** How concrete a template is: OpenAPI says a literal path wins over a templated one that also matches. */
function literalLength(path: string): number {
  return path.replace(/\{[^}/]+\}/g, '').length;
}

/** The documented path template a concrete path falls under, most literal first. */
export function templateFor(templates: string[], path: string): string | undefined {
  return templates.filter((template) => templatePattern(template).test(path)).sort((a, b) => literalLength(b) - literalLength(a))[0];
}

/** Which documented key covers a status: the exact code, then its range ("4XX"), then "default". */
export function responseKeyFor(statuses: string[], status: number): string | undefined {
  const exact = String(status);
  if (statuses.includes(exact)) return exact;
  const range = `${exact[0]}XX`;
  const ranged = statuses.find((key) => key.toUpperCase() === range);
  if (ranged) return ranged;
  return statuses.includes('default') ? 'default' : undefined;
}

export function buildMatrix(operations: Operation[], produced: AnswerCounts): Matrix {
  const rows = new Map<string, MatrixRow>();
  const rowKey = (method: string, path: string, status: string) => `${method} ${path} ${status}`;
  for (const op of operations) {
    for (const status of op.statuses)
      rows.set(rowKey(op.method, op.path, status), { method: op.method, path: op.path, status, documented: true, count: 0 });
  }
  const templates = [...new Set(operations.map((op) => op.path))];
  const outside: Answer[] = [];
  for (const [key, count] of Object.entries(produced)) {
    const answer = parseAnswerKey(key);
    const template = templateFor(templates, answer.path);
    if (!template) continue; // a page, the document itself, an unknown route: not an API operation
    const op = operations.find((candidate) => candidate.path === template && candidate.method === answer.method);
    if (!op) {
      outside.push(answer);
      continue;
    }
    const status = responseKeyFor(op.statuses, answer.status) ?? String(answer.status);
    const existing = rows.get(rowKey(op.method, op.path, status));
    if (existing) existing.count += count;
    else rows.set(rowKey(op.method, op.path, status), { method: op.method, path: op.path, status, documented: false, count });
  }
  const ordered = [...rows.values()];
  return {
    operations,
    rows: ordered,
    unexercised: ordered.filter((row) => row.documented && row.count === 0),
    undocumented: ordered.filter((row) => !row.documented),
    outside,
  };
}

export function mergeCounts(into: AnswerCounts, from: AnswerCounts): AnswerCounts {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
  return into;
}

function statusOrder(a: string, b: string): number {
  // A range ("4XX") sorts after the codes it covers, "default" last.
  const rank = (key: string) => (key === 'default' ? 1000 : /X/i.test(key) ? Number(key[0]) * 100 + 99.5 : Number(key));
  return rank(a) - rank(b);
}

/**
 * The matrix as Markdown, one row per operation and one column per status: `✓ n` produced n
 * times, `✗` documented but never produced, `! n` produced but not documented, blank: neither.
 */
export function renderMatrix(matrix: Matrix, note?: string): string {
  const statuses = [...new Set(matrix.rows.map((row) => row.status))].sort(statusOrder);
  const cell = (op: Operation, status: string) => {
    const row = matrix.rows.find((r) => r.method === op.method && r.path === op.path && r.status === status);
    if (!row) return '';
    if (!row.documented) return `! ${row.count}`;
    return row.count > 0 ? `✓ ${row.count}` : '✗';
  };
  const documented = matrix.rows.filter((row) => row.documented);
  const exercised = documented.filter((row) => row.count > 0);
  const lines = [
    '# API operation × status matrix',
    '',
    'Built from `/api/v1/openapi.json` and the answers the workerd suite produced (`npm test`).',
    '`✓ n`: produced n times · `✗`: documented, never produced · `! n`: produced, not documented · blank: neither.',
    '',
  ];
  if (note) lines.push(`> ${note}`, '');
  lines.push(
    `**${documented.length} triples documented, ${exercised.length} exercised; ${matrix.unexercised.length} unexercised, ${matrix.undocumented.length} undocumented.**`,
    '',
    `| operation | ${statuses.join(' | ')} |`,
    `| --- | ${statuses.map(() => '---').join(' | ')} |`,
    ...matrix.operations.map((op) => `| \`${op.method} ${op.path}\` | ${statuses.map((status) => cell(op, status)).join(' | ')} |`),
  );
  const list = (title: string, rows: MatrixRow[]) =>
    rows.length ? ['', `## ${title}`, '', ...rows.map((row) => `- \`${row.method} ${row.path}\` → ${row.status}`)] : [];
  lines.push(...list('Documented, never produced (add a test, or drop the status from the route)', matrix.unexercised));
  lines.push(...list('Produced, not documented (document the status on the route, or fix the code)', matrix.undocumented));
  if (matrix.outside.length) {
    lines.push('', '## Answers outside any operation (not checked)', '');
    const seen = [...new Set(matrix.outside.map((a) => `\`${a.method} ${a.path}\` → ${a.status}`))].sort();
    lines.push(...seen.map((line) => `- ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

/** The channel from the workerd suite to the Node reporter: task meta is serialized to the reporter. */
declare module 'vitest' {
  interface TaskMeta {
    /** On each test file: the answers its requests produced (test/setup/record-api-answers.ts). */
    apiAnswers?: AnswerCounts;
    /** On the matrix test: the operations /api/v1/openapi.json documents. */
    apiOperations?: Operation[];
  }
}
