import { describe, expect, it } from 'vitest';
import { backupsToKeep, r2Tiers } from '../../scripts/backup/retention';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A Monday, 12:00 UTC.
const now = Date.parse('2026-11-30T12:00:00Z');

describe('retention: every backup of the last 24 h, 7 daily, 4 weekly', () => {
  it('keeps every hourly backup of the last day', () => {
    const hourly = Array.from({ length: 24 }, (_, i) => now - i * HOUR);
    expect(backupsToKeep(hourly, now).size).toBe(24);
  });

  it('keeps only the newest backup of each older day, for 7 days', () => {
    const times = Array.from({ length: 30 * 24 }, (_, i) => now - i * HOUR);
    const kept = [...backupsToKeep(times, now)].sort((a, b) => b - a);
    const older = kept.filter((t) => now - t >= DAY);
    const days = new Set(older.map((t) => Math.floor(t / DAY)));
    expect(days.size).toBe(older.length);
    // The newest of each older day is its 23:00 backup.
    for (const t of older.filter((t) => now - t < 6 * DAY)) expect(new Date(t).getUTCHours()).toBe(23);
    // 30 days of hourly backups shrink to the last 24 h plus a few dailies and weeklies.
    expect(kept.length).toBeLessThanOrEqual(24 + 7 + 4);
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(now - 28 * DAY);
    expect(Math.min(...kept)).toBeLessThan(now - 14 * DAY);
  });

  it('keeps the newest backup of the 4 most recent weeks that have one, and none older', () => {
    const weekly = Array.from({ length: 10 }, (_, i) => now - i * 7 * DAY - 2 * DAY);
    const kept = backupsToKeep(weekly, now);
    expect([...kept].sort((a, b) => b - a)).toEqual(weekly.slice(0, 7));
    const sparse = Array.from({ length: 10 }, (_, i) => now - i * 7 * DAY - 2 * DAY - 20 * DAY);
    expect([...backupsToKeep(sparse, now)].sort((a, b) => b - a)).toEqual(sparse.slice(0, 7));
  });

  it('never deletes the last backups after a gap in the schedule', () => {
    expect(backupsToKeep([now - 40 * DAY], now).size).toBe(1);
    const old = [now - 60 * DAY, now - 50 * DAY, now - 45 * DAY];
    expect(backupsToKeep(old, now).size).toBe(3);
  });
});

describe('R2 tiers', () => {
  it('puts every backup under hourly/, the first of a day under daily/, the first of a week under weekly/', () => {
    expect(r2Tiers(Date.parse('2026-11-30T00:10:00Z'))).toEqual(['hourly', 'daily', 'weekly']); // Monday
    expect(r2Tiers(Date.parse('2026-12-01T00:10:00Z'))).toEqual(['hourly', 'daily']); // Tuesday
    expect(r2Tiers(Date.parse('2026-12-01T13:10:00Z'))).toEqual(['hourly']);
  });
});
