/**
 * Friendly hours (issue 5 §4): nights, Sundays and public holidays when the load is never
 * cut for lack of credit. What is used then drives the balance C − E below zero and the next
 * purchase repays it by raising C (docs/design.md §3). Pure: instants in, answers out.
 */
import { assertSafeInteger, roundHalfEvenDiv } from './money';

export interface FriendlySchedule {
  enabled: boolean;
  /** Local time "HH:MM" the nightly window opens. */
  nightStart: string;
  /** Local time "HH:MM" it closes; before nightStart means it crosses midnight. Equal: no nightly window. */
  nightEnd: string;
  /** All of every Sunday, local time. */
  sundays: boolean;
  /** Whole local days: "MM-DD" every year, or "YYYY-MM-DD" once. */
  holidays: readonly string[];
  /** Local time = UTC + this (Kenya: +180, no daylight saving). */
  utcOffsetMinutes: number;
}

/** Kenya's public holidays on fixed dates: New Year, Labour, Madaraka, Utamaduni, Mashujaa, Jamhuri, Christmas, Boxing Day. */
export const KENYA_FIXED_HOLIDAYS: readonly string[] = Object.freeze([
  '01-01',
  '05-01',
  '06-01',
  '10-10',
  '10-20',
  '12-12',
  '12-25',
  '12-26',
]);

/** Off until an operator turns it on; nights 19:00–07:00, Sundays and the fixed holidays when on. */
export const DEFAULT_FRIENDLY_SCHEDULE: FriendlySchedule = Object.freeze({
  enabled: false,
  nightStart: '19:00',
  nightEnd: '07:00',
  sundays: true,
  holidays: KENYA_FIXED_HOLIDAYS,
  utcOffsetMinutes: 180,
});

/** Most holiday dates a schedule may carry. */
export const MAX_FRIENDLY_HOLIDAYS = 366;
/** Offsets in use on Earth lie within ±14 h. */
export const MAX_UTC_OFFSET_MINUTES = 14 * 60;

export const TIME_OF_DAY_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const HOLIDAY_PATTERN = /^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const MS_PER_MINUTE = 60_000;
const MINUTES_PER_DAY = 1440;
const MS_PER_DAY = MINUTES_PER_DAY * MS_PER_MINUTE;
/** A yearly holiday is the rarest transition: look a little over a year ahead. */
const SEARCH_DAYS = 400;

function minuteOfDay(text: string, name: string): number {
  const m = TIME_OF_DAY_PATTERN.exec(text);
  if (!m) throw new RangeError(`${name} must be HH:MM: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Throws a RangeError naming what is wrong; the edge validates first, this guards programmer error. */
export function validateFriendlySchedule(s: FriendlySchedule): void {
  minuteOfDay(s.nightStart, 'nightStart');
  minuteOfDay(s.nightEnd, 'nightEnd');
  assertSafeInteger(s.utcOffsetMinutes, 'utcOffsetMinutes');
  if (Math.abs(s.utcOffsetMinutes) > MAX_UTC_OFFSET_MINUTES) {
    throw new RangeError(`utcOffsetMinutes must be within ±${MAX_UTC_OFFSET_MINUTES}`);
  }
  if (s.holidays.length > MAX_FRIENDLY_HOLIDAYS) {
    throw new RangeError(`at most ${MAX_FRIENDLY_HOLIDAYS} holidays`);
  }
  for (const h of s.holidays) {
    if (!HOLIDAY_PATTERN.test(h)) throw new RangeError(`holiday must be MM-DD or YYYY-MM-DD: ${h}`);
  }
}

interface Compiled {
  enabled: boolean;
  start: number;
  end: number;
  sundays: boolean;
  yearly: ReadonlySet<string>;
  once: ReadonlySet<string>;
  offsetMs: number;
}

function compile(s: FriendlySchedule): Compiled {
  validateFriendlySchedule(s);
  return {
    enabled: s.enabled,
    start: minuteOfDay(s.nightStart, 'nightStart'),
    end: minuteOfDay(s.nightEnd, 'nightEnd'),
    sundays: s.sundays,
    yearly: new Set(s.holidays.filter((h) => h.length === 5)),
    once: new Set(s.holidays.filter((h) => h.length === 10)),
    offsetMs: s.utcOffsetMinutes * MS_PER_MINUTE,
  };
}

function inNight(c: Compiled, minute: number): boolean {
  if (c.start === c.end) return false;
  return c.start < c.end ? minute >= c.start && minute < c.end : minute >= c.start || minute < c.end;
}

function friendlyAt(c: Compiled, instantMs: number): boolean {
  if (!c.enabled) return false;
  const local = new Date(instantMs + c.offsetMs);
  if (c.sundays && local.getUTCDay() === 0) return true;
  const date = local.toISOString().slice(0, 10);
  if (c.once.has(date) || c.yearly.has(date.slice(5))) return true;
  return inNight(c, local.getUTCHours() * 60 + local.getUTCMinutes());
}

function assertInstant(instantMs: number): void {
  assertSafeInteger(instantMs, 'instantMs');
}

/** Whether the load must stay on at this instant (epoch ms): a window is [start, end). */
export function isFriendlyTime(schedule: FriendlySchedule, instantMs: number): boolean {
  assertInstant(instantMs);
  return friendlyAt(compile(schedule), instantMs);
}

/**
 * The next instant (epoch ms) after `instantMs` at which isFriendlyTime changes, or null when
 * it never does (disabled, or nothing in the schedule for over a year). Windows that touch —
 * Saturday night into Sunday into Sunday night — are one window.
 */
export function nextFriendlyTransition(schedule: FriendlySchedule, instantMs: number): number | null {
  assertInstant(instantMs);
  const c = compile(schedule);
  if (!c.enabled) return null;
  const now = friendlyAt(c, instantMs);
  // Only local midnights and the two night boundaries can change the answer.
  const boundaries = [...new Set([0, c.start, c.end])].sort((a, b) => a - b);
  const localDayStart = Math.floor((instantMs + c.offsetMs) / MS_PER_DAY) * MS_PER_DAY - c.offsetMs;
  for (let day = 0; day <= SEARCH_DAYS; day++) {
    for (const minute of boundaries) {
      const at = localDayStart + day * MS_PER_DAY + minute * MS_PER_MINUTE;
      if (at <= instantMs) continue;
      if (friendlyAt(c, at) !== now) return at;
    }
  }
  return null;
}

/** "HH:MM" of an instant in the schedule's local time, for messages such as "until 07:00". */
export function localTimeOfDay(
  schedule: Pick<FriendlySchedule, 'utcOffsetMinutes'>,
  instantMs: number,
): string {
  assertInstant(instantMs);
  return new Date(instantMs + schedule.utcOffsetMinutes * MS_PER_MINUTE).toISOString().slice(11, 16);
}

export interface FriendlyRecoveryInput {
  /** C − E just before the purchase. */
  balanceBeforeMwh: number;
  /** The meter's own emergency allowance: a deficit within it is emergency credit, not friendly hours. */
  emergencyCreditMwh: number;
  /** Energy the purchase bought (what it adds to C). */
  energyBoughtMwh: number;
  /** Money the purchase spent on that energy, levies and VAT included (not debt, standing charge or rounding). */
  energyCentsPaid: number;
}

export interface FriendlyRecovery {
  /** Part of the energy bought that repays use during friendly hours. */
  energyMwh: number;
  /** Its value at what this purchase paid per kWh, rounded half-even. */
  valueCents: number;
}

/**
 * What a purchase repays of friendly-hours use. Nothing special happens to C (it still grows by
 * the energy bought); this only names, for the receipt, the part that fills the hole below zero
 * deeper than the meter's emergency allowance. Null when there is none.
 */
export function friendlyHoursRecovery(input: FriendlyRecoveryInput): FriendlyRecovery | null {
  assertSafeInteger(input.balanceBeforeMwh, 'balanceBeforeMwh');
  for (const [name, v] of [
    ['emergencyCreditMwh', input.emergencyCreditMwh],
    ['energyBoughtMwh', input.energyBoughtMwh],
    ['energyCentsPaid', input.energyCentsPaid],
  ] as const) {
    assertSafeInteger(v, name);
    if (v < 0) throw new RangeError(`${name} must not be negative`);
  }
  const deficit = -input.balanceBeforeMwh - input.emergencyCreditMwh;
  if (deficit <= 0 || input.energyBoughtMwh === 0) return null;
  const energyMwh = Math.min(deficit, input.energyBoughtMwh);
  const valueCents = roundHalfEvenDiv(
    BigInt(energyMwh) * BigInt(input.energyCentsPaid),
    BigInt(input.energyBoughtMwh),
  );
  return { energyMwh, valueCents: Number(valueCents) };
}
