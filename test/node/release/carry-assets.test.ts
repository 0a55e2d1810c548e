import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { carryAssets } from '../../../scripts/build-web';

let dist: string;
beforeEach(() => {
  dist = mkdtempSync(join(tmpdir(), 'foyer-carry-'));
  mkdirSync(join(dist, 'assets'));
  // This build's outputs, as scripts/build-web.ts leaves them.
  writeFileSync(join(dist, 'assets/app-NEW.js'), 'new app');
  writeFileSync(join(dist, 'assets/styles-SAME.css'), 'styles');
  writeFileSync(join(dist, 'asset-manifest.json'), JSON.stringify({ script: '/assets/app-NEW.js', style: '/assets/styles-SAME.css' }));
});
afterEach(() => rmSync(dist, { recursive: true, force: true }));

/** The serving version's route: its manifest and files; it answers only with the override header. */
function route(files: Record<string, string>, seen: Headers[] = []) {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    seen.push(headers);
    const path = new URL(String(input)).pathname;
    const body = files[path];
    return body === undefined ? new Response('not found', { status: 404 }) : new Response(body);
  };
}

const manifest = () => JSON.parse(readFileSync(join(dist, 'asset-manifest.json'), 'utf8'));
const pin = { 'Cloudflare-Workers-Version-Overrides': 'foyer-production="old"' };

describe('carryAssets (npm run release, before the upload)', () => {
  it("copies the serving version's changed files into dist/assets and lists them as carried", async () => {
    const seen: Headers[] = [];
    const live = route(
      {
        '/asset-manifest.json': JSON.stringify({ script: '/assets/app-OLD.js', style: '/assets/styles-SAME.css' }),
        '/assets/app-OLD.js': 'old app',
      },
      seen,
    );
    expect(await carryAssets('https://foyer.example/', pin, live, dist)).toEqual(['/assets/app-OLD.js']);
    expect(readFileSync(join(dist, 'assets/app-OLD.js'), 'utf8')).toBe('old app');
    expect(manifest()).toEqual({ script: '/assets/app-NEW.js', style: '/assets/styles-SAME.css', carried: ['/assets/app-OLD.js'] });
    expect(seen.every((h) => h.get('Cloudflare-Workers-Version-Overrides') === 'foyer-production="old"')).toBe(true);
  });

  it('replaces what an earlier carry brought: one release back, not every one', async () => {
    const first = route({
      '/asset-manifest.json': JSON.stringify({ script: '/assets/app-OLDER.js', style: '/assets/styles-SAME.css' }),
      '/assets/app-OLDER.js': 'older app',
    });
    await carryAssets('https://foyer.example', pin, first, dist);
    const second = route({ '/asset-manifest.json': JSON.stringify({ script: '/assets/app-NEW.js', style: '/assets/styles-SAME.css' }) });
    expect(await carryAssets('https://foyer.example', pin, second, dist)).toEqual([]);
    expect(existsSync(join(dist, 'assets/app-OLDER.js'))).toBe(false);
    expect(existsSync(join(dist, 'assets/app-NEW.js'))).toBe(true);
    expect(manifest()).toEqual({ script: '/assets/app-NEW.js', style: '/assets/styles-SAME.css' });
  });

  it('stops, saying why, when the serving version cannot hand its files over', async () => {
    const broken = route({ '/asset-manifest.json': JSON.stringify({ script: '/assets/app-GONE.js', style: '/assets/styles-SAME.css' }) });
    await expect(carryAssets('https://foyer.example', pin, broken, dist)).rejects.toThrow(/app-GONE\.js answered 404.*Likely causes/s);
  });
});
