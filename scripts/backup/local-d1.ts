/**
 * A local D1 database opened the way wrangler opens it (`wrangler d1 execute --local`): a
 * Miniflare instance whose D1 persistence is <persist-to>/v3/d1 and whose database id is the
 * one in wrangler.toml, so the file it reads is the one `wrangler dev` and `npm start` use.
 */
import { resolve } from 'node:path';
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from 'miniflare';
import { ROOT } from '../local-config';

export interface LocalD1 {
  db: D1Database;
  dispose(): Promise<void>;
}

/**
 * @example const { db, dispose } = await openLocalD1('.wrangler/state', '00000000-0000-0000-0000-000000000000');
 */
export async function openLocalD1(persistTo: string, databaseId: string): Promise<LocalD1> {
  // Written in miniflare 4's option shape (as wrangler still describes workers); miniflare 5 converts it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: 'export default {}',
      // Miniflare 5 persists every resource under one root, as wrangler does (<persist-to>/v3).
      resourcePersistencePath: resolve(ROOT, persistTo, 'v3'),
      d1Databases: { DB: databaseId },
      log: new Log(LogLevel.WARN),
      telemetry: { enabled: false },
      // The placeholder `cf` object is enough; fetching the real one needs the internet.
      cf: false,
    }),
  );
  try {
    const db = (await mf.getD1Database('DB')) as unknown as D1Database;
    return { db, dispose: () => mf.dispose() };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}
