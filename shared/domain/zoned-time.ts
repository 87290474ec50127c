// Wall-clock ↔ UTC conversion for IANA time zones using only Intl, so schedules honour DST without a tz library.

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
      weekday: 'short',
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

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall clock in `timeZone` at instant `at`. */
export function wallClockAt(at: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

function offsetMs(at: Date, timeZone: string): number {
  const w = wallClockAt(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, at.getUTCSeconds(), at.getUTCMilliseconds());
  return asUtc - at.getTime();
}

/**
 * The instant at which `timeZone`'s clocks show the given wall time. A time skipped by a DST jump resolves to the
 * same wall time shifted forward by the jump (02:30 → 03:30); a repeated time resolves to its first occurrence.
 */
export function instantOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): Date {
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  const DAY = 24 * 3600_000;
  // Offsets in force a day before, at, and a day after cover both sides of any transition.
  const candidates = [naive - DAY, naive, naive + DAY].map((probe) => naive - offsetMs(new Date(probe), timeZone));
  const showing = candidates.filter((t) => {
    const w = wallClockAt(new Date(t), timeZone);
    return w.day === day && w.hour === hour && w.minute === minute;
  });
  if (showing.length > 0) return new Date(Math.min(...showing));
  // Skipped (spring forward): keep the offset in force before the jump, which lands after it.
  return new Date(candidates[0]);
}

/** Adds calendar days to a date (year, month, day) without time zone effects. */
export function addDays(
  year: number,
  month: number,
  day: number,
  days: number,
): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
