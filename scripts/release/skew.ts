/**
 * Version skew during a split: each Workers version serves only the static assets it was
 * uploaded with, and by default every request is routed on its own, so a page rendered by one
 * version can have its /assets/app-<hash>.js answered by the other (a 404: the islands never
 * hydrate). https://developers.cloudflare.com/workers/static-assets/routing/advanced/gradual-rollouts/
 *
 * Two things close it (docs/deployment.md#version-skew): the new version carries the previous
 * release's hashed files (scripts/build-web.ts carryAssets), so old pages work on it; and a
 * zone Transform Rule sets Cloudflare-Workers-Version-Key from the session cookie, so a page and
 * its assets reach the same version (version affinity). This module checks both from outside.
 */
import { z } from 'zod';
import { HOST_SESSION_COOKIE } from '../../worker/auth/session-cookie';

/** The part of dist/asset-manifest.json (scripts/build-web.ts) a release reads. */
const manifestSchema = z.object({ script: z.string(), style: z.string() });

export const MANIFEST_PATH = '/asset-manifest.json';

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Reaches one version of the current deployment, even at 0 % (version overrides). */
export function overrideHeader(worker: string, version: string): Record<string, string> {
  return { 'Cloudflare-Workers-Version-Overrides': `${worker}="${version}"` };
}

/** The hashed files a version's pages reference. */
async function pageAssets(fetchImpl: Fetch, base: string, headers: Record<string, string>): Promise<string[]> {
  const res = await fetchImpl(`${base}${MANIFEST_PATH}`, { headers, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`GET ${base}${MANIFEST_PATH} answered ${res.status}`);
  const manifest = manifestSchema.parse(await res.json());
  return [manifest.script, manifest.style];
}

async function missing(fetchImpl: Fetch, base: string, headers: Record<string, string>, paths: string[]): Promise<string[]> {
  const answers = await Promise.all(
    paths.map(async (path) => {
      const res = await fetchImpl(`${base}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
      await res.body?.cancel();
      return res.ok ? undefined : `${path} (${res.status})`;
    }),
  );
  return answers.filter((a) => a !== undefined);
}

export interface AssetCrossCheck {
  /** Files the old version's pages reference that the new version does not serve. */
  oldPagesOnNew: string[];
  /** Files the new version's pages reference that the old version does not serve. */
  newPagesOnOld: string[];
}

/** Asks each version, pinned by the override header, for the other's page assets. */
export async function crossCheckAssets(
  fetchImpl: Fetch,
  url: string,
  worker: string,
  versions: { previous: string; next: string },
): Promise<AssetCrossCheck> {
  const base = url.replace(/\/+$/, '');
  const oldPin = overrideHeader(worker, versions.previous);
  const newPin = overrideHeader(worker, versions.next);
  const [oldAssets, newAssets] = await Promise.all([pageAssets(fetchImpl, base, oldPin), pageAssets(fetchImpl, base, newPin)]);
  const [oldPagesOnNew, newPagesOnOld] = await Promise.all([
    missing(fetchImpl, base, newPin, oldAssets),
    missing(fetchImpl, base, oldPin, newAssets),
  ]);
  return { oldPagesOnNew, newPagesOnOld };
}

/**
 * Whether requests with the same session cookie (the one outside local, which the Transform Rule
 * keys on) reach the same version while the deployment is
 * split. Each probe key asks `tries` times which manifest answers; the two versions' manifests
 * differ (that is when this is needed), so a key that sees both was routed per request. Without
 * affinity at a 10 % share, 24 keys × 3 tries all look consistent with probability 0.73^24 ≈ 5e-4.
 */
export async function versionAffinityHolds(
  fetchImpl: Fetch,
  url: string,
  { cookie = HOST_SESSION_COOKIE, keys = 24, tries = 3 } = {},
): Promise<{ holds: boolean; detail: string }> {
  const base = url.replace(/\/+$/, '');
  let mixed = 0;
  for (let k = 0; k < keys; k++) {
    const headers = { Cookie: `${cookie}=release-affinity-probe-${k}` };
    const seen = new Set<string>();
    for (let t = 0; t < tries; t++) seen.add((await pageAssets(fetchImpl, base, headers)).join(' '));
    if (seen.size > 1) mixed++;
  }
  return {
    holds: mixed === 0,
    detail: `${mixed} of ${keys} session cookies reached both versions (${tries} requests each)`,
  };
}
