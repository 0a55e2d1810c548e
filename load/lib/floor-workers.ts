/**
 * The floors: workers on the same runtime as Foyer that do only what any implementation of the
 * contract must do on the wire, and nothing of Foyer's own. Divided by hello world like every
 * other figure, they show how close a goal may come (docs/performance.md, "The floor").
 *
 * - The page floor answers a copy of a real warm answer of Foyer's (the JSON intro page, or `GET /`:
 *   its body and every header, a fresh request id), taken by the `floor` scenario; `/<name>/logged`
 *   also writes a JSON log line of the same fields as Foyer's request line (docs/operations.md).
 * - The write floor makes the I/O a write must make: one D1 batch (the change and its outbox row
 *   in one transaction), one call to a Durable Object that stores the event (the live feed), one
 *   queue message, and the consumer's one D1 batch per delivered batch marking the rows sent.
 *   No authentication, rate limiting, validation or cache upkeep.
 */

/** Requests with this Host reach the page floor. */
export const FLOOR_PAGE_HOST = 'floor-page.load.localhost';
/** Requests with this Host reach the write floor. */
export const FLOOR_WRITE_HOST = 'floor-write.load.localhost';

/** What the page floor answers at `/<name>`: set with `PUT /<name>` before it is measured. */
export interface PageTemplate {
  headers: [string, string][];
  body: string;
  /** Foyer's request log line for such a request, minus the fields made per request. */
  line: Record<string, unknown>;
}

// Module state is plain data set by the scenario before measuring, never a promise shared between requests.
// `PUT /<name>` sets a template; `GET /<name>` answers it, `GET /<name>/logged` also logs its line.
export const FLOOR_PAGE_SCRIPT = `const templates = new Map();
export default {
  async fetch(request) {
    const [, name, logged] = new URL(request.url).pathname.split('/');
    if (request.method === 'PUT') {
      const template = await request.json();
      templates.set(name, { ...template, bytes: new TextEncoder().encode(template.body) });
      return new Response(null, { status: 204 });
    }
    const template = templates.get(name);
    if (!template) return new Response('PUT /' + name + ' first', { status: 503 });
    const started = performance.now();
    const requestId = crypto.randomUUID();
    const headers = new Headers(template.headers);
    headers.set('x-request-id', requestId);
    const response = new Response(template.bytes, { status: 200, headers });
    if (logged) {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      console.log(JSON.stringify({ ...template.line, time: new Date().toISOString(), requestId, durationMs }));
    }
    return response;
  },
};`;

export const FLOOR_WRITE_SCRIPT = `import { DurableObject } from 'cloudflare:workers';
export class FloorFeed extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  }
  deliver(payload) {
    this.ctx.storage.sql.exec('INSERT INTO events (payload) VALUES (?)', payload);
    return true;
  }
}
let n = 0;
export default {
  async fetch(request, env) {
    if (request.method === 'PUT') {
      await env.DB.batch([
        env.DB.prepare('CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL)'),
        env.DB.prepare('CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, sent_at INTEGER)'),
      ]);
      return new Response(null, { status: 204 });
    }
    const i = ++n;
    const userId = 'user-' + (i % 1000);
    const payload = JSON.stringify({ type: 'task.created', userId, taskId: i, title: 'load test task ' + i });
    const [, outbox] = await env.DB.batch([
      env.DB.prepare('INSERT INTO tasks (user_id, title) VALUES (?, ?)').bind(userId, 'load test task ' + i),
      env.DB.prepare('INSERT INTO outbox (payload) VALUES (?) RETURNING id').bind(payload),
    ]);
    const id = outbox.results[0].id;
    await env.FEED.get(env.FEED.idFromName(userId)).deliver(payload);
    await env.QUEUE.send({ id });
    return new Response(JSON.stringify({ id }), { status: 201, headers: { 'content-type': 'application/json' } });
  },
  async queue(batch, env) {
    await env.DB.batch(batch.messages.map((m) => env.DB.prepare('UPDATE outbox SET sent_at = ? WHERE id = ?').bind(Date.now(), m.body.id)));
    batch.ackAll();
  },
};`;
