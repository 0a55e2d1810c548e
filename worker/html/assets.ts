/**
 * The hashed names of the browser assets, read once per isolate from dist/asset-manifest.json
 * through the ASSETS binding (scripts/build-web.ts writes it). A deployment's assets never
 * change under a running version, so the first answer holds for the isolate's lifetime.
 */
export interface AssetManifest {
  script: string;
  style: string;
}

export const MANIFEST_URL = 'https://assets.local/asset-manifest.json';

let manifest: Promise<AssetManifest | null> | undefined;

export function loadAssetManifest(env: Pick<Env, 'ASSETS'>): Promise<AssetManifest | null> {
  manifest ??= (async () => {
    try {
      const res = await env.ASSETS.fetch(MANIFEST_URL);
      if (!res.ok) throw new Error(`status ${res.status}`);
      return (await res.json()) as AssetManifest;
    } catch (err) {
      // The page still renders (server-side HTML, no scripts); a later request tries again.
      manifest = undefined;
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'asset manifest unavailable; run `npm run build` (wrangler dev and deploy run it via [build])',
          error: err instanceof Error ? err.message : String(err),
        }),
      );
      return null;
    }
  })();
  return manifest;
}
