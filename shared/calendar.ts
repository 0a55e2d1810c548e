/**
 * Calendar arithmetic in a user's IANA time zone, with only Intl (workerd ships full ICU).
 * "Due today", "this week" and streaks are local-calendar ideas; storage is UTC epoch ms.
 */
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `ms` in `timeZone`. */
function wallClock(ms: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** `YYYY-MM-DD` of `ms` on the calendar of `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** Epoch ms of local midnight starting the day that contains `ms`. */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const midnightAsUtc = Date.UTC(w.year, w.month - 1, w.day);
  // The offset can differ between now and midnight (DST); one correction step settles it.
  let guess = midnightAsUtc - offsetAt(ms, timeZone);
  guess = midnightAsUtc - offsetAt(guess, timeZone);
  return guess;
}

/** Epoch ms of the start of the next local day after the one containing `ms`. */
export function endOfLocalDay(ms: number, timeZone: string): number {
  return startOfLocalDay(startOfLocalDay(ms, timeZone) + DAY_MS + 3 * 3_600_000, timeZone);
}

/** Epoch ms of Monday 00:00 local time of the ISO week containing `ms`. */
export function startOfLocalWeek(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const weekday = (new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7; // Monday = 0
  const dayStart = startOfLocalDay(ms, timeZone);
  return startOfLocalDay(dayStart - weekday * DAY_MS + 3 * 3_600_000, timeZone);
}

/** `YYYY-MM-DD` of the local day before `date` (a pure calendar step, no zone needed). */
export function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return new Date(d.getTime() - DAY_MS).toISOString().slice(0, 10);
}

export const MS = { hour: 3_600_000, day: DAY_MS } as const;
