import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, tokenFor } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB);
});

describe('the flags panel of /admin', () => {
  it('lists each flag with its controls, who changed it and when, and the audited history', async () => {
    const admin = await authHeaders('ops', 'admin');
    const flag = { description: 'Compact layout', enabled: true, rollout: 40, allow: ['alice'], deny: ['bob'] };
    expect((await call('/api/v1/admin/flags/compact-layout', json(flag, admin, 'PUT'))).status).toBe(201);

    const res = await call('/admin', { headers: { Cookie: `foyer_session=${await tokenFor('ops', 'admin')}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const text of [
      '<h2 id="flags-h">Feature flags</h2>',
      'data-key="compact-layout"',
      'id="flag-compact-layout-enabled" name="enabled" type="checkbox" checked',
      'type="range" min="0" max="100" step="1" value="40"',
      '<label for="flag-compact-layout-allow">',
      '>alice</textarea>',
      '>bob</textarea>',
      'Last changed by <strong>ops</strong>',
      'Latest flag changes (from the audit log)',
      'created: enabled, rollout 40 %, allow 1, deny 1',
    ]) {
      expect(html, text).toContain(text);
    }
    // The panel's script shares the one nonce-carrying script element with the live script.
    expect(html.match(/<script[^>]*>/g)?.length).toBe(1);
    expect(html).toContain("fetch('/api/v1/admin/flags/'");
  });
});
