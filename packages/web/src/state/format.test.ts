// Protects how balances, money, durations, times and phone numbers are shown and read.
import { describe, expect, it } from 'vitest';
import {
  balanceWorthKes,
  epochToMs,
  formatBalanceKwh,
  formatClock,
  formatDateTime,
  kesPerKwhFromQuote,
  formatAgo,
  formatDuration,
  formatKes,
  formatKwh,
  formatPowerW,
  isoToMs,
  normalizeKenyanPhone,
} from './format';

describe('format', () => {
  it('a kWh is worth 20 shillings at the flat tariff, and the quoted price when one is given', () => {
    expect(balanceWorthKes(12.5)).toBe(250);
    expect(balanceWorthKes(12.5, 27.5)).toBe(343.75);
  });

  it('reads the price per kWh from the server’s quote, and none from a quote that buys nothing', () => {
    // KSh 1,000 bought 40 kWh: 25 KES/kWh
    expect(kesPerKwhFromQuote(100_000, 40_000_000)).toBe(25);
    expect(kesPerKwhFromQuote(100_000, 0)).toBeNull();
  });

  it('the balance headline shows watt-hours, so a report of a few Wh moves it, at a fixed width', () => {
    expect(formatBalanceKwh('en', 10)).toBe('10.000');
    expect(formatBalanceKwh('en', 9.996)).toBe('9.996');
    expect(formatBalanceKwh('en', 9.996)).not.toBe(formatBalanceKwh('en', 10));
    expect(formatBalanceKwh('en', -0.0004)).toBe('0.000');
  });

  it('shows times in East Africa Time, labelled, whatever the machine’s zone', () => {
    // 07:05:09 UTC is 10:05:09 in Nairobi
    const at = Date.UTC(2026, 11, 7, 7, 5, 9);
    expect(formatClock('en', at)).toBe('10:05:09 EAT');
    expect(formatDateTime('en', at)).toMatch(/^7 Dec.* 10:05 EAT$/);
    // 22:30 UTC is already the next day in Nairobi
    expect(formatDateTime('en', Date.UTC(2026, 11, 7, 22, 30))).toMatch(/^8 Dec.* 01:30 EAT$/);
  });

  it('shows energy and money with two decimals and grouping', () => {
    expect(formatKwh('en', 1234.567)).toBe('1,234.57 kWh');
    expect(formatKes('en', 24691.34)).toBe('KSh 24,691.34');
    expect(formatKwh('en', -0.001)).toBe('0.00 kWh');
    expect(formatKwh('en', -1.5)).toBe('-1.50 kWh');
  });

  it('shows power in watts below a kilowatt and in kilowatts above', () => {
    expect(formatPowerW('en', 480)).toBe('480 W');
    expect(formatPowerW('en', 2500)).toBe('2.50 kW');
  });

  it('shows durations as the two largest units in either language', () => {
    expect(formatDuration('en', 30_000)).toBe('under a minute');
    expect(formatDuration('en', 45 * 60_000)).toBe('45 min');
    expect(formatDuration('en', (5 * 60 + 20) * 60_000)).toBe('5 h 20 min');
    expect(formatDuration('en', (3 * 24 + 4) * 3_600_000 + 59 * 60_000)).toBe('3 d 4 h');
    expect(formatDuration('sw', (3 * 24 + 4) * 3_600_000)).toBe('siku 3 saa 4');
    expect(formatDuration('en', 400 * 86_400_000)).toBe('over a year');
  });

  it('says how long ago in lower case, to sit inside a sentence', () => {
    expect(formatAgo('en', 0, 5 * 60_000)).toBe('5 minutes ago');
    expect(formatAgo('sw', 0, 5 * 60_000)).toMatch(/^[a-z]/);
    expect(formatAgo('en', 10_000, 0)).toBe('now');
  });

  it('reads wire timestamps in seconds or milliseconds', () => {
    expect(epochToMs(1_760_000_000)).toBe(1_760_000_000_000);
    expect(epochToMs(1_760_000_000_123)).toBe(1_760_000_000_123);
    expect(isoToMs('2026-01-02T03:04:05.000Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(isoToMs(null)).toBeNull();
    expect(isoToMs('yesterday')).toBeNull();
  });

  it('turns the ways Kenyans write phone numbers into 2547XXXXXXXX', () => {
    expect(normalizeKenyanPhone('0712 345 678')).toBe('254712345678');
    expect(normalizeKenyanPhone('+254 712-345-678')).toBe('254712345678');
    expect(normalizeKenyanPhone('712345678')).toBe('254712345678');
    expect(normalizeKenyanPhone('0110345678')).toBe('254110345678');
    expect(normalizeKenyanPhone('254712345678')).toBe('254712345678');
    expect(normalizeKenyanPhone('0812345678')).toBeNull();
    expect(normalizeKenyanPhone('07123')).toBeNull();
    expect(normalizeKenyanPhone('phone')).toBeNull();
  });
});
