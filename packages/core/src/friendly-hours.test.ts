// Protects the friendly-hours schedule (nights across midnight, Sundays, holidays, the UTC offset) and the receipt's friendly-debt line.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FRIENDLY_SCHEDULE,
  friendlyHoursRecovery,
  isFriendlyTime,
  localTimeOfDay,
  nextFriendlyTransition,
  validateFriendlySchedule,
  type FriendlySchedule,
} from './friendly-hours';

const on: FriendlySchedule = { ...DEFAULT_FRIENDLY_SCHEDULE, enabled: true };
/** Nairobi wall-clock time → epoch ms (UTC+3). */
const eat = (iso: string) => Date.parse(`${iso}+03:00`);

describe('isFriendlyTime', () => {
  it('is never friendly when the schedule is disabled', () => {
    expect(isFriendlyTime(DEFAULT_FRIENDLY_SCHEDULE, eat('2025-11-23T23:00:00'))).toBe(false);
    expect(nextFriendlyTransition(DEFAULT_FRIENDLY_SCHEDULE, eat('2025-11-23T23:00:00'))).toBeNull();
  });

  it('covers a night that crosses midnight, start inclusive and end exclusive', () => {
    // Tuesday 2025-11-18, an ordinary weekday
    expect(isFriendlyTime(on, eat('2025-11-18T18:59:59'))).toBe(false);
    expect(isFriendlyTime(on, eat('2025-11-18T19:00:00'))).toBe(true);
    expect(isFriendlyTime(on, eat('2025-11-18T23:59:59'))).toBe(true);
    expect(isFriendlyTime(on, eat('2025-11-19T00:00:00'))).toBe(true);
    expect(isFriendlyTime(on, eat('2025-11-19T06:59:59'))).toBe(true);
    expect(isFriendlyTime(on, eat('2025-11-19T07:00:00'))).toBe(false);
    expect(isFriendlyTime(on, eat('2025-11-19T12:00:00'))).toBe(false);
  });

  it('covers a night inside one day, and no night at all when start equals end', () => {
    const s = { ...on, nightStart: '01:00', nightEnd: '05:30', sundays: false, holidays: [] };
    expect(isFriendlyTime(s, eat('2025-11-18T00:59:00'))).toBe(false);
    expect(isFriendlyTime(s, eat('2025-11-18T01:00:00'))).toBe(true);
    expect(isFriendlyTime(s, eat('2025-11-18T05:29:00'))).toBe(true);
    expect(isFriendlyTime(s, eat('2025-11-18T05:30:00'))).toBe(false);
    const none = { ...s, nightStart: '05:00', nightEnd: '05:00' };
    expect(isFriendlyTime(none, eat('2025-11-18T05:00:00'))).toBe(false);
    expect(nextFriendlyTransition(none, eat('2025-11-18T05:00:00'))).toBeNull();
  });

  it('covers all of a Sunday in local time, not in UTC', () => {
    const s = { ...on, nightStart: '00:00', nightEnd: '00:00', holidays: [] };
    // Sunday 2025-11-23 00:30 in Nairobi is still Saturday 21:30 UTC
    expect(isFriendlyTime(s, eat('2025-11-23T00:30:00'))).toBe(true);
    expect(isFriendlyTime(s, eat('2025-11-22T23:59:59'))).toBe(false);
    // Monday 01:00 in Nairobi is Sunday 22:00 UTC: not friendly
    expect(isFriendlyTime(s, eat('2025-11-24T01:00:00'))).toBe(false);
    expect(isFriendlyTime({ ...s, sundays: false }, eat('2025-11-23T12:00:00'))).toBe(false);
  });

  it('covers yearly holidays (MM-DD) and one-off dates (YYYY-MM-DD) as whole local days', () => {
    const s = { ...on, nightStart: '00:00', nightEnd: '00:00', sundays: false };
    expect(isFriendlyTime(s, eat('2025-12-12T12:00:00'))).toBe(true); // Jamhuri Day
    expect(isFriendlyTime(s, eat('2031-10-20T00:00:00'))).toBe(true); // Mashujaa Day, any year
    expect(isFriendlyTime(s, eat('2025-12-13T00:00:00'))).toBe(false);
    const withEid = { ...s, holidays: ['2026-03-20'] };
    expect(isFriendlyTime(withEid, eat('2026-03-20T10:00:00'))).toBe(true);
    expect(isFriendlyTime(withEid, eat('2027-03-20T10:00:00'))).toBe(false);
  });

  it('applies the configured offset: the same instant is night in Nairobi and day in UTC', () => {
    const instant = Date.parse('2025-11-18T17:00:00Z'); // 20:00 in Nairobi
    expect(isFriendlyTime(on, instant)).toBe(true);
    expect(isFriendlyTime({ ...on, utcOffsetMinutes: 0 }, instant)).toBe(false);
    expect(localTimeOfDay(on, instant)).toBe('20:00');
  });
});

describe('nextFriendlyTransition', () => {
  it('finds the end of tonight and the start of tomorrow night', () => {
    expect(nextFriendlyTransition(on, eat('2025-11-18T22:00:00'))).toBe(eat('2025-11-19T07:00:00'));
    expect(nextFriendlyTransition(on, eat('2025-11-19T07:00:00'))).toBe(eat('2025-11-19T19:00:00'));
    expect(nextFriendlyTransition(on, eat('2025-11-19T18:59:59'))).toBe(eat('2025-11-19T19:00:00'));
  });

  it('joins Saturday night, Sunday and Sunday night into one window', () => {
    expect(nextFriendlyTransition(on, eat('2025-11-22T20:00:00'))).toBe(eat('2025-11-24T07:00:00'));
  });

  it('finds a holiday a long way ahead when nothing else is scheduled', () => {
    const s = { ...on, nightStart: '00:00', nightEnd: '00:00', sundays: false, holidays: ['12-25'] };
    expect(nextFriendlyTransition(s, eat('2025-01-02T09:00:00'))).toBe(eat('2025-12-25T00:00:00'));
    expect(nextFriendlyTransition(s, eat('2025-12-25T09:00:00'))).toBe(eat('2025-12-26T00:00:00'));
  });

  it('is consistent with isFriendlyTime across a fortnight of random instants', () => {
    let x = 12345;
    const start = eat('2025-12-20T00:00:00');
    for (let i = 0; i < 300; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const t = start + (x % (14 * 86_400)) * 1000;
      const next = nextFriendlyTransition(on, t)!;
      expect(next).toBeGreaterThan(t);
      expect(isFriendlyTime(on, next)).not.toBe(isFriendlyTime(on, t));
      expect(isFriendlyTime(on, next - 1000)).toBe(isFriendlyTime(on, t));
    }
  });
});

describe('validateFriendlySchedule', () => {
  it('refuses bad times, dates and offsets', () => {
    expect(() => validateFriendlySchedule({ ...on, nightStart: '24:00' })).toThrow(/nightStart/);
    expect(() => validateFriendlySchedule({ ...on, nightEnd: '7:00' })).toThrow(/nightEnd/);
    expect(() => validateFriendlySchedule({ ...on, holidays: ['2025-13-01'] })).toThrow(/holiday/);
    expect(() => validateFriendlySchedule({ ...on, utcOffsetMinutes: 15 * 60 })).toThrow(/utcOffset/);
    expect(() => validateFriendlySchedule(on)).not.toThrow();
  });
});

describe('friendlyHoursRecovery', () => {
  it('names the part of a purchase that fills the hole below the emergency allowance', () => {
    // 1.5 kWh used past zero with no emergency allowance; 5 kWh bought for KES 100
    expect(
      friendlyHoursRecovery({
        balanceBeforeMwh: -1_500_000,
        emergencyCreditMwh: 0,
        energyBoughtMwh: 5_000_000,
        energyCentsPaid: 10_000,
      }),
    ).toEqual({ energyMwh: 1_500_000, valueCents: 3_000 });
  });

  it('leaves the emergency allowance out, caps at the energy bought, and is null without a hole', () => {
    const base = { emergencyCreditMwh: 500_000, energyBoughtMwh: 1_000_000, energyCentsPaid: 2_000 };
    expect(friendlyHoursRecovery({ ...base, balanceBeforeMwh: -400_000 })).toBeNull();
    expect(friendlyHoursRecovery({ ...base, balanceBeforeMwh: 3 })).toBeNull();
    expect(friendlyHoursRecovery({ ...base, balanceBeforeMwh: -900_000 })).toEqual({
      energyMwh: 400_000,
      valueCents: 800,
    });
    expect(friendlyHoursRecovery({ ...base, balanceBeforeMwh: -9_000_000 })).toEqual({
      energyMwh: 1_000_000,
      valueCents: 2_000,
    });
    // half-even: 1 mWh of 3 mWh bought for 5 cents is 1.666… → 2 cents
    expect(
      friendlyHoursRecovery({
        balanceBeforeMwh: -1,
        emergencyCreditMwh: 0,
        energyBoughtMwh: 3,
        energyCentsPaid: 5,
      }),
    ).toEqual({ energyMwh: 1, valueCents: 2 });
  });
});
