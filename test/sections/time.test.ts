import { describe, expect, it } from 'vitest';
import { endOfLocalDay, isValidTimeZone, localDate, startOfLocalDay, startOfLocalWeek } from '../../shared/calendar';

describe('calendar arithmetic in a time zone', () => {
  it('finds local midnight in zones ahead of and behind UTC', () => {
    const t = Date.parse('2026-11-18T10:00:00Z');
    expect(new Date(startOfLocalDay(t, 'Europe/Berlin')).toISOString()).toBe('2026-11-17T23:00:00.000Z');
    expect(new Date(startOfLocalDay(t, 'America/New_York')).toISOString()).toBe('2026-11-18T05:00:00.000Z');
    expect(new Date(startOfLocalDay(t, 'Asia/Kolkata')).toISOString()).toBe('2026-11-17T18:30:00.000Z');
    expect(new Date(endOfLocalDay(t, 'Europe/Berlin')).toISOString()).toBe('2026-11-18T23:00:00.000Z');
  });

  it('handles the day clocks change (Berlin, 29 March 2026 has 23 hours)', () => {
    const t = Date.parse('2026-03-29T12:00:00Z');
    expect(new Date(startOfLocalDay(t, 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(endOfLocalDay(t, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('starts the week on Monday, local time', () => {
    const sundayNight = Date.parse('2026-11-22T22:30:00Z'); // already Monday 07:30 in Tokyo
    expect(new Date(startOfLocalWeek(sundayNight, 'Asia/Tokyo')).toISOString()).toBe('2026-11-22T15:00:00.000Z');
    expect(new Date(startOfLocalWeek(sundayNight, 'UTC')).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(localDate(sundayNight, 'Asia/Tokyo')).toBe('2026-11-23');
  });

  it('knows real zones from made-up ones', () => {
    expect(isValidTimeZone('Europe/Zurich')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
