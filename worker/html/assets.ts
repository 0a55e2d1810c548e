import { held } from '../isolate';
import { errorMessage, log } from '../observability/log';
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

// The value, not a promise: a promise would belong to the request that made it, and if that
// request were cancelled mid-fetch every later page would wait on it forever.
const loaded = held<{ manifest?: AssetManifest }>('assetManifest', () => ({}));

export async function loadAssetManifest(env: Pick<Env, 'ASSETS'>): Promise<AssetManifest | null> {
  const memory = loaded.get();
  if (memory.manifest) return memory.manifest;
  try {
    const res = await env.ASSETS.fetch(MANIFEST_URL);
    if (!res.ok) throw new Error(`status ${res.status}`);
    memory.manifest = (await res.json()) as AssetManifest;
    return memory.manifest;
  } catch (err) {
    // The page still renders (server-side HTML, no scripts); a later request tries again.
    log.error('asset manifest unavailable; run `npm run build` (wrangler dev and deploy run it via [build])', { error: errorMessage(err) });
    return null;
  }
}
