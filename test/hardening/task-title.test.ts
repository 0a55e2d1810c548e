import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

let alice: Record<string, string>;

const taskCount = async () => (await env.DB.prepare("select count(*) as n from tasks where owner_id = 'alice'").first<{ n: number }>())!.n;
const titleOf = async (id: string) =>
  (await env.DB.prepare('select title from tasks where id = ?').bind(id).first<{ title: string }>())?.title;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

/** Characters a title must not carry: C0 (NUL, ESC, a newline), DEL, C1, and the bidi overrides and isolates. */
const refused: [string, string][] = [
  ['NUL', 'Pay\u0000rent'],
  ['ESC (a terminal escape)', 'Pay \u001b[31mrent'],
  ['a newline inside', 'Pay\nrent'],
  ['DEL', 'Pay\u007frent'],
  ['a C1 control (CSI)', 'Pay\u009brent'],
  ['RIGHT-TO-LEFT OVERRIDE', 'Invoice \u202egpj.exe'],
  ['LEFT-TO-RIGHT EMBEDDING', '\u202aPay rent'],
  ['RIGHT-TO-LEFT ISOLATE', 'Pay \u2067rent'],
  ['POP DIRECTIONAL ISOLATE', 'Pay rent\u2069 now'],
];

describe('finding 11: a task title refuses control and bidi-override characters', () => {
  for (const [name, title] of refused) {
    it(`POST /tasks with ${name} answers 400 on json.title and writes nothing`, async () => {
      const before = await taskCount();
      const res = await call('/api/v1/tasks', json({ title }, alice));
      expect(res.status).toBe(400);
      const problem = await res.json<{ errors: { path: string; message: string }[] }>();
      expect(problem.errors.map((e) => e.path)).toEqual(['json.title']);
      expect(problem.errors[0]?.message).toMatch(/control or bidirectional/);
      expect(await taskCount()).toBe(before);
    });

    it(`PATCH /tasks/:id with ${name} answers 400 on json.title and changes nothing`, async () => {
      const before = await titleOf('alice-task-3');
      const res = await call('/api/v1/tasks/alice-task-3', json({ title }, alice, 'PATCH'));
      expect(res.status).toBe(400);
      expect((await res.json<{ errors: { path: string }[] }>()).errors.map((e) => e.path)).toEqual(['json.title']);
      expect(await titleOf('alice-task-3')).toBe(before);
    });
  }

  it('accepts letters of any script, emoji and the bidi marks that are not overrides', async () => {
    const title = 'שלום Grüße 你好 🎉 \u200f';
    const res = await call('/api/v1/tasks', json({ title }, alice));
    expect(res.status).toBe(201);
    expect((await res.json<{ task: { title: string } }>()).task.title).toBe(title.trim());
  });

  it('still trims surrounding whitespace (a trailing newline is not refused)', async () => {
    const res = await call('/api/v1/tasks', json({ title: '  Water the plants\n' }, alice));
    expect(res.status).toBe(201);
    expect((await res.json<{ task: { title: string } }>()).task.title).toBe('Water the plants');
  });
});
