import type { Scenario } from '../lib/scenario';
import { baseline, normal, page, peak } from './pages';

/** Every scenario `npm run load -- <name>` knows, by name. */
export const scenarios: Record<string, Scenario> = Object.fromEntries([baseline, normal, peak, page].map((s) => [s.name, s]));
