// Six-field NCRONTAB expressions as the Functions timer trigger uses them: {second} {minute} {hour} {day} {month}
// {day-of-week}, with *, lists, ranges, steps and month/day names. Evaluated in UTC (WEBSITE_TIME_ZONE is not
// emulated).

const FIELDS = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 6 },
] as const;
const NAMES: Array<Record<string, number>> = [
  {},
  {},
  {},
  {},
  { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
  { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
];

export interface CronSchedule {
  expression: string;
  next(after: Date): Date;
}

function parseField(text: string, index: number): Set<number> {
  const { min, max } = FIELDS[index];
  const values = new Set<number>();
  const value = (v: string): number => {
    const n = NAMES[index][v.toLowerCase()] ?? Number(v);
    if (!Number.isInteger(n) || n < min || n > (index === 5 ? 7 : max))
      throw new Error(`"${v}" is out of range ${min}-${max}`);
    return index === 5 && n === 7 ? 0 : n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step "${stepText}"`);
    let lo: number = min;
    let hi: number = max;
    if (range !== '*') {
      const [a, b] = range.split('-');
      lo = value(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b);
    }
    for (let n = lo; n <= hi; n += step) values.add(n);
  }
  return values;
}

export function parseNcrontab(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new Error(
      `"${expression}" is not a six-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  const sets = fields.map((f, i) => {
    try {
      return parseField(f, i);
    } catch (e) {
      throw new Error(`NCRONTAB "${expression}", field ${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  });
  const [sec, min, hour, day, month, dow] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const dayRestricted = fields[3] !== '*';
  const dowRestricted = fields[5] !== '*';
  const dayMatches = (d: Date): boolean => {
    // As in cron: when both day fields are restricted, either may match.
    if (dayRestricted && dowRestricted) return day.has(d.getUTCDate()) || dow.has(d.getUTCDay());
    return day.has(d.getUTCDate()) && dow.has(d.getUTCDay());
  };
  return {
    expression,
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 5 * 366 * 24 * 3600_000;
      while (t.getTime() <= limit) {
        if (!month.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0);
        } else if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0);
        } else if (!hour.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0);
        } else if (!min.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
        } else if (!sec.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1);
        } else {
          return t;
        }
      }
      throw new Error(`NCRONTAB "${expression}" never fires`);
    },
  };
}
