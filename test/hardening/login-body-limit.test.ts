import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_BODY_LIMIT_BYTES } from '../../worker/routes/login';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

const ORIGIN = 'http://foyer.test';
const form = (body: BodyInit, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers },
  body,
});

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('finding 13: POST /login reads at most 4 KiB of form', () => {
  it('is 4 KiB', () => {
    expect(LOGIN_BODY_LIMIT_BYTES).toBe(4 * 1024);
  });

  it('a form just under the limit still signs in', async () => {
    const body = `user=alice&pad=${'x'.repeat(LOGIN_BODY_LIMIT_BYTES - 'user=alice&pad='.length)}`;
    expect(body.length).toBe(LOGIN_BODY_LIMIT_BYTES);
    const res = await call('/login', form(body));
    expect(res.status).toBe(303);
    expect(res.headers.get('Set-Cookie')).toMatch(/^foyer_session=/);
  });

  it('one byte more answers 413 problem+json and sets no cookie', async () => {
    const body = `user=alice&pad=${'x'.repeat(LOGIN_BODY_LIMIT_BYTES + 1 - 'user=alice&pad='.length)}`;
    const res = await call('/login', form(body));
    expect(res.status).toBe(413);
    expect((await res.json<{ detail: string }>()).detail).toContain(`${LOGIN_BODY_LIMIT_BYTES} bytes`);
    expect(res.headers.get('Set-Cookie')).toBeNull();
  });

  it('a 10 MB body sent without Content-Length (streamed) is cut off at the limit: 413', async () => {
    const chunk = new TextEncoder().encode(`user=alice&pad=${'x'.repeat(64 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 10 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await call('/login', { ...form(stream), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });
});
