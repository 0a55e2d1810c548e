/**
 * npm run compat:snapshot — stores the SQL of the release being deployed as the N−1 fixture
 * (test/compat/fixtures/previous-release.json). Run it right after a release reaches
 * production (docs/deployment.md): from then on every migration must keep these queries working.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ReleaseQueries, recordReleaseQueries } from '../test/compat/release-queries';
import { ROOT } from './local-config';

const release = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown';
const snapshot: ReleaseQueries = { release, queries: await recordReleaseQueries() };
const file = resolve(ROOT, 'test/compat/fixtures/previous-release.json');
writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
// Stored the way `npm run lint` wants it, so regenerating never leaves a lint failure behind.
spawnSync(resolve(ROOT, 'node_modules/.bin/biome'), ['format', '--write', file], { cwd: ROOT, stdio: 'ignore' });
const statements = snapshot.queries.reduce((n, q) => n + q.statements.length, 0);
console.log(
  `Recorded ${snapshot.queries.length} queries (${statements} statements) of ${release.slice(0, 12)} in ${file.slice(ROOT.length + 1)}`,
);
