import { forgetRevocationsInIsolate } from './auth/revocation';
import { resetTokenMemory } from './auth/verify-token';
import { fragmentCache } from './cache/fragment-cache';
import { forgetVersionCeilings } from './cache/version-ceiling';
import { resetAssetManifest } from './html/assets';
import { allowances } from './rate-limit/allowance';
import { forgetHealthReport } from './services/health-cache';

/**
 * Forgets what this isolate has learned across requests, as if the next request landed in a
 * fresh isolate: the page cache (fragments, versions seen, purge generations, section errors),
 * the rate-limit allowances, verified tokens and fetched key sets, logouts seen here, the
 * version-hint ceilings, the reused health report, and the asset manifest.
 * For tests. Memos that are pure functions of their input (rendered headers, metric keys, the
 * rate-limit policies) are left alone, and so are metric points not yet flushed.
 */
export function resetIsolateState(): void {
  fragmentCache.reset();
  allowances.clear();
  resetTokenMemory();
  forgetRevocationsInIsolate();
  forgetVersionCeilings();
  forgetHealthReport();
  resetAssetManifest();
}
