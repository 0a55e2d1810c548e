/**
 * Dates and numbers in the viewer's locale and time zone. The server and the browser both
 * format with these functions from the same data, so hydration finds the same text.
 */
export interface Formatter {
  dateTime(iso: string): string;
  date(iso: string): string;
  number(n: number): string;
  percent(ratio: number): string;
}

const cache = new Map<string, Formatter>();

function safeLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

export function formatter(locale: string, timeZone: string): Formatter {
  const key = `${locale}|${timeZone}`;
  let f = cache.get(key);
  if (!f) {
    const loc = safeLocale(locale);
    const zone = safeZone(timeZone);
    const dateTime = new Intl.DateTimeFormat(loc, { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' });
    const date = new Intl.DateTimeFormat(loc, { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long' });
    const number = new Intl.NumberFormat(loc);
    const percent = new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 0 });
    f = {
      dateTime: (iso) => dateTime.format(new Date(iso)),
      date: (iso) => date.format(new Date(iso)),
      number: (n) => number.format(n),
      percent: (r) => percent.format(r),
    };
    cache.set(key, f);
  }
  return f;
}
