// Protects households from night-time SMS that can wait: the quiet window in Nairobi time, across midnight.
import { describe, expect, it } from 'vitest';
import { parseQuietHours, quietUntilMs } from './quiet-hours';

const eat = (iso: string) => Date.parse(`${iso}+03:00`);

describe('quiet hours', () => {
  const night = parseQuietHours('21:00-07:00');

  it('holds a message sent at night until 07:00 Nairobi time, before or after midnight', () => {
    expect(quietUntilMs(eat('2026-12-06T22:30:00'), night)).toBe(eat('2026-12-07T07:00:00'));
    expect(quietUntilMs(eat('2026-12-07T03:15:00'), night)).toBe(eat('2026-12-07T07:00:00'));
    expect(quietUntilMs(eat('2026-12-06T21:00:00'), night)).toBe(eat('2026-12-07T07:00:00'));
  });

  it('lets a message through in the day and at the window’s end', () => {
    expect(quietUntilMs(eat('2026-12-07T07:00:00'), night)).toBeNull();
    expect(quietUntilMs(eat('2026-12-07T12:00:00'), night)).toBeNull();
    expect(quietUntilMs(eat('2026-12-07T20:59:00'), night)).toBeNull();
  });

  it('handles a window inside one day', () => {
    const siesta = parseQuietHours('13:00-15:30');
    expect(quietUntilMs(eat('2026-12-07T14:00:00'), siesta)).toBe(eat('2026-12-07T15:30:00'));
    expect(quietUntilMs(eat('2026-12-07T16:00:00'), siesta)).toBeNull();
  });

  it('no window, never quiet', () => {
    expect(quietUntilMs(eat('2026-12-07T03:00:00'), null)).toBeNull();
  });

  it('refuses a window it cannot read', () => {
    expect(() => parseQuietHours('9pm-7am')).toThrow(RangeError);
    expect(() => parseQuietHours('24:00-07:00')).toThrow(RangeError);
    expect(() => parseQuietHours('07:00-07:00')).toThrow(/same time/);
  });
});
