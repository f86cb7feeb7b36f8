// Protects the console extras' pure pieces: the friendly hours form's checks, the max-load body, the route.
import { describe, expect, it } from 'vitest';
import { parseAdminRoute } from './admin-routes';
import { friendlyHoursFromForm } from './friendly-hours-page';
import { maxLoadBody } from './max-load-field';

const form = {
  enabled: true,
  nightStart: '19:00',
  nightEnd: '07:00',
  sundays: false,
  holidays: '12-25\n 2026-12-12, 01-01',
  offset: '180',
  reason: ' county order ',
};

describe('console extras', () => {
  it('turns the friendly hours form into the API body, holidays split on lines and commas', () => {
    expect(friendlyHoursFromForm(form)).toEqual({
      enabled: true,
      nightStart: '19:00',
      nightEnd: '07:00',
      sundays: false,
      holidays: ['12-25', '2026-12-12', '01-01'],
      utcOffsetMinutes: 180,
      reason: 'county order',
    });
  });

  it('names a bad holiday or offset instead of sending it', () => {
    expect(friendlyHoursFromForm({ ...form, holidays: '12-25\n13-45' })).toEqual({
      key: 'opxFhBadHoliday',
      params: { value: '13-45' },
    });
    for (const offset of ['', '90.5', '900']) {
      expect(friendlyHoursFromForm({ ...form, offset })).toMatchObject({ key: 'opxFhBadOffset' });
    }
  });

  it('clears a max load only when the meter had one, and keeps it when not asked', () => {
    expect(maxLoadBody('2500', null)).toEqual({ maxLoadW: 2500 });
    expect(maxLoadBody(null, 3000)).toEqual({ maxLoadW: null });
    expect(maxLoadBody(null, null)).toEqual({});
  });

  it('has a route for the friendly hours page', () => {
    expect(parseAdminRoute('/admin/friendly-hours')).toEqual({ name: 'friendly-hours' });
  });
});
