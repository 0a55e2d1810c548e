/**
 * The disaster-recovery drill (docs/disaster-recovery.md): seed → back up → change and delete →
 * destroy → restore into a fresh database → verify against the manifest → serve the restored
 * state → refuse tampered and forged backups → restore over a removed .wrangler/state/v3/d1. Everything goes through the real `npm run backup` / `npm run restore` commands and a
 * real workerd; nothing is mocked. DRILL_USERS sets the seeded users (default 1000).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalRuntime, startLocalRuntime } from '../../load/lib/local-runtime';
import { signUsers } from '../../load/lib/users';
import { sha256, writeArchive } from '../../scripts/backup/archive';
import { measureDump } from '../../scripts/backup/load';
import { openLocalD1 } from '../../scripts/backup/local-d1';
import { compare, manifestSchema, measure } from '../../scripts/backup/manifest';
import { ROOT } from '../../scripts/local-config';
import { localDatabaseFile } from '../../scripts/migrate/database';
import { flipOneByte, localPlan, manifestIn, npmRun, seedDatabase } from './helpers';

const USERS = Number(process.env.DRILL_USERS ?? 1000);
// The environment's signing key, as CI or an operator provides it (docs/disaster-recovery.md, "Signing key").
process.env.BACKUP_SIGNING_KEY ??= 'drill-backup-signing-key-for-local-runs-only-0123456789';
const JWT_SECRET = 'drill-secret-for-the-local-runtime-only-0123456789';
const work = mkdtempSync(join(ROOT, '.wrangler', `drill-`));
const live = join(work, 'live');
const backups = join(work, 'backups');
const restored = join(work, 'restored');

interface Before {
  aliceTaskIds: string[];
  aliceLastEventId: number;
}
let before: Before;
let manifestFile: string;
const figures: Record<string, number | string> = { users: USERS };

async function snapshot(persistTo: string): Promise<Before> {
  const { db, dispose } = await openLocalD1(persistTo, localPlan(persistTo).databaseId);
  try {
    const tasks = await db.prepare("SELECT id FROM tasks WHERE owner_id = 'alice' ORDER BY id").raw<[string]>();
    const last = await db.prepare("SELECT max(id) AS n FROM activity_events WHERE user_id = 'alice'").first<{ n: number }>();
    return { aliceTaskIds: tasks.map(([id]) => id), aliceLastEventId: last?.n ?? 0 };
  } finally {
    await dispose();
  }
}

beforeAll(async () => {
  mkdirSync(backups, { recursive: true });
  const started = performance.now();
  await seedDatabase(live, USERS);
  figures.seedSeconds = ((performance.now() - started) / 1000).toFixed(1);
  before = await snapshot(live);
});

afterAll(() => {
  console.log(`drill figures: ${JSON.stringify(figures)}`);
  rmSync(work, { recursive: true, force: true });
});

describe(`disaster-recovery drill (${USERS} seeded users)`, () => {
  it('backs up the local database with a manifest of counts, checksums and the schema level', async () => {
    const result = await npmRun('backup', ['--env', 'local', '--persist-to', live, '--out', backups]);
    expect(result.out).toContain('✓ backup of local');
    expect(result.code).toBe(0);
    manifestFile = manifestIn(backups);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    expect(manifest.tables.users?.rows).toBeGreaterThanOrEqual(USERS);
    expect(manifest.tables.tasks?.rows).toBeGreaterThan(0);
    expect(manifest.migrations).toContain('0000_init.sql');
    expect(sha256(readFileSync(join(backups, manifest.archive.file)))).toBe(manifest.archive.sha256);
    expect(manifest.signature?.alg).toBe('HMAC-SHA-256');
    Object.assign(figures, {
      backupSeconds: result.seconds.toFixed(1),
      backupVerifySeconds: /verify ([\d.]+) s/.exec(result.out)?.[1] ?? '?',
      archiveBytes: manifest.archive.bytes,
      sqlBytes: manifest.archive.sqlBytes,
    });
  });

  it('restores into a fresh database after the data was changed and the database destroyed', async () => {
    const { db, dispose } = await openLocalD1(live, localPlan(live).databaseId);
    try {
      await db.batch([
        db.prepare("DELETE FROM tasks WHERE owner_id = 'alice'"),
        db.prepare("UPDATE users SET name = 'Mallory' WHERE id = 'bob'"),
        db.prepare("DELETE FROM users WHERE id LIKE 'user-000%'"),
        db
          .prepare("INSERT INTO activity_events (user_id, id, type, payload) VALUES ('alice', ?, 'task.deleted', '{}')")
          .bind(before.aliceLastEventId + 1),
      ]);
    } finally {
      await dispose();
    }
    rmSync(join(live, 'v3'), { recursive: true, force: true });
    expect(existsSync(localDatabaseFile(localPlan(live)))).toBe(false);

    const result = await npmRun('restore', ['--env', 'local', '--persist-to', live, '--from', manifestFile, '--into', restored]);
    expect(result.out).toContain('equal the manifest');
    expect(result.out).toContain('Switch-over steps:');
    expect(result.code).toBe(0);
    figures.restoreSeconds = result.seconds.toFixed(1);
  });

  it('holds exactly what the manifest says: row counts, checksums and migration level', async () => {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    const { db, dispose } = await openLocalD1(restored, localPlan(restored).databaseId);
    try {
      expect(compare(manifest, await measure(db, sha256))).toEqual([]);
    } finally {
      await dispose();
    }
    expect(await snapshot(restored)).toEqual(before);
  });

  describe('the worker on the restored state', () => {
    let runtime: LocalRuntime;
    let alice: string;
    beforeAll(async () => {
      runtime = await startLocalRuntime({
        port: 0,
        stateDir: join(restored, 'v3'),
        seedUsers: 0,
        prepareD1: false,
        vars: { JWT_SECRET, RATE_LIMIT_REQUESTS: '100000' },
        log: () => {},
      });
      const [signed] = await signUsers(['alice'], runtime.vars);
      alice = signed?.auth ?? '';
    });
    afterAll(async () => {
      await runtime?.dispose();
    });

    it("shows alice's page with her tasks", async () => {
      const tasks = await fetch(`${runtime.url}/api/v1/tasks?limit=500`, { headers: { authorization: alice } });
      expect(tasks.status).toBe(200);
      const body = (await tasks.json()) as { tasks: { id: string }[] };
      expect(body.tasks.map((t) => t.id).sort()).toEqual(before.aliceTaskIds);
      const page = await fetch(`${runtime.url}/api/v1/intro-page/alice`, { headers: { authorization: alice } });
      expect(page.status).toBe(200);
      const intro = (await page.json()) as { userId: string; sections: { userStatistics: { openTasks: number } | null } };
      expect(intro.userId).toBe('alice');
      expect(intro.sections.userStatistics?.openTasks).toBeGreaterThan(0);
    });

    it('resumes the feed from the restored events with no duplicate event ids', async () => {
      const after = before.aliceLastEventId - 3;
      const ws = new WebSocket(`${runtime.url.replace('http', 'ws')}/api/v1/feed?after=${after}`, { headers: { authorization: alice } });
      const messages: { type: string; event?: { id: number }; lastEventId?: number }[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      const until = async (ok: () => boolean, what: string) => {
        const deadline = Date.now() + 30_000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      try {
        await until(() => messages.some((m) => m.type === 'ready'), 'ready');
        expect(messages.find((m) => m.type === 'ready')?.lastEventId).toBe(before.aliceLastEventId);
        const created = await fetch(`${runtime.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: alice, 'content-type': 'application/json' },
          body: JSON.stringify({ title: 'After the restore' }),
        });
        expect(created.status).toBe(201);
        const { event } = (await created.json()) as { event: { id: number } };
        expect(event.id).toBe(before.aliceLastEventId + 1);
        await until(() => messages.some((m) => m.event?.id === event.id), `event ${event.id}`);
        const ids = messages.flatMap((m) => (m.type === 'event' && m.event ? [m.event.id] : []));
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual([after + 1, after + 2, after + 3, event.id]);
      } finally {
        ws.close();
      }
    });
  });

  it('refuses a backup with one byte changed, and creates nothing', async () => {
    const dir = join(work, 'tampered');
    mkdirSync(dir);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    const copy = join(dir, basename(manifestFile));
    copyFileSync(manifestFile, copy);
    copyFileSync(join(backups, manifest.archive.file), join(dir, manifest.archive.file));
    flipOneByte(join(dir, manifest.archive.file));
    const target = join(work, 'from-tampered');
    const result = await npmRun('restore', ['--env', 'local', '--persist-to', live, '--from', copy, '--into', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('restore refused');
    expect(result.out).toContain('SHA-256');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a forged backup: an admin appended, checksums and SHA-256 recomputed with the project code', async () => {
    const dir = join(work, 'forged');
    mkdirSync(dir);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    const sql = gunzipSync(readFileSync(join(backups, manifest.archive.file))).toString('utf8');
    const evil = `${sql}\nINSERT INTO "users" ("id","name","email","role","time_zone","created_at") VALUES('mallory','Mallory','m@evil.example','admin','UTC',0);`;
    const archive = writeArchive(join(dir, manifest.archive.file), evil);
    const copy = join(dir, basename(manifestFile));
    writeFileSync(
      copy,
      JSON.stringify({ ...manifest, tables: measureDump(evil, () => {}).tables, archive: { ...manifest.archive, ...archive } }),
    );
    const target = join(work, 'from-forged');
    const result = await npmRun('restore', ['--env', 'local', '--persist-to', live, '--from', copy, '--into', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('does not match its signature');
    expect(existsSync(target)).toBe(false);
  });

  it('restores over the live state after .wrangler/state/v3/d1 was removed, as the finding did', async () => {
    rmSync(join(live, 'v3/d1'), { recursive: true, force: true });
    const result = await npmRun('restore', ['--env', 'local', '--persist-to', live, '--from', manifestFile, '--force']);
    expect(result.out).toContain('equal the manifest');
    expect(result.code).toBe(0);
    figures.forceRestoreSeconds = result.seconds.toFixed(1);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    const { db, dispose } = await openLocalD1(live, localPlan(live).databaseId);
    try {
      expect(compare(manifest, await measure(db, sha256))).toEqual([]);
    } finally {
      await dispose();
    }
  });

  it('refuses a backup whose schema is newer than the code, saying what to do', async () => {
    const future = join(work, 'future');
    await seedDatabase(future, 0, ['9999_from_a_newer_release.sql']);
    const out = join(work, 'future-backups');
    const backedUp = await npmRun('backup', ['--env', 'local', '--persist-to', future, '--out', out]);
    expect(backedUp.code).toBe(0);
    const target = join(work, 'from-future');
    const result = await npmRun('restore', ['--env', 'local', '--persist-to', live, '--from', manifestIn(out), '--into', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('newer than this checkout');
    expect(result.out).toContain('9999_from_a_newer_release.sql');
    expect(result.out).toContain('check out the release that took it');
    expect(existsSync(target)).toBe(false);
  });
});
