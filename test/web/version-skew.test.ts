import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../helpers/auth';
import { call } from '../helpers/http';
import { PREVIOUS_RELEASE, PREVIOUS_RELEASE_BODIES } from '../helpers/previous-release';
import { seed } from '../helpers/seed';

/**
 * During a gradual release a page rendered by one version may fetch its assets from the other
 * (docs/deployment.md#version-skew). Locally there is one version: this build, uploaded with the
 * previous release's files carried in (vitest.config.ts does what `npm run release` does).
 */
const asset = (path: string) => env.ASSETS.fetch(`https://assets.local${path}`);

function referencedAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

beforeAll(async () => {
  await seed(env.DB);
});

describe('version skew', () => {
  it('serves every file its own page references, cached immutable', async () => {
    const res = await call('/', { headers: { Cookie: `foyer_session=${await tokenFor('alice')}` } });
    const paths = referencedAssets(await res.text());
    expect(new Set(paths).size).toBe(2);
    for (const path of paths) {
      const file = await asset(path);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it("also serves the previous release's page assets, byte for byte, so its pages hydrate on this version", async () => {
    const manifest = await (await asset('/asset-manifest.json')).json<{ script: string; carried?: string[] }>();
    expect(manifest.carried).toEqual([PREVIOUS_RELEASE.script, PREVIOUS_RELEASE.style]);
    expect(manifest.script).not.toBe(PREVIOUS_RELEASE.script);
    for (const path of manifest.carried ?? []) {
      const file = await asset(path);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
      expect(await file.text()).toBe(PREVIOUS_RELEASE_BODIES[path]);
    }
  });

  it('answers a hashed file that neither release built with 404, not with a page', async () => {
    expect((await asset('/assets/app-NEVERBUILT.js')).status).toBe(404);
  });
});
