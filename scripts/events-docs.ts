/**
 * Regenerates the catalog section of docs/events.md from the event schemas
 * (worker/events/catalog.ts). `--check` exits 1 when the file is stale instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { eventCatalog } from '../worker/events/catalog';
import { withCatalog } from '../worker/events/catalog-doc';

const path = new URL('../docs/events.md', import.meta.url);
const current = readFileSync(path, 'utf8');
const next = withCatalog(current, eventCatalog());
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/events.md is stale: run npm run events:docs and commit it.');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(path, next);
  console.log('docs/events.md: catalog regenerated');
}
