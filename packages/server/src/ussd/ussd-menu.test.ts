// Protects the feature-phone journey: every USSD screen fits, effects happen once at their confirmation, bad input ends cleanly.
import { MAX_USSD_REPLY_CHARS } from '@umeme/africastalking';
import { describe, expect, it } from 'vitest';
import { ussdStep, type UssdCaller, type UssdPorts } from './ussd-menu';

function world(meters: number, lang: 'en' | 'sw' = 'en') {
  const effects: string[] = [];
  const caller: UssdCaller = {
    userId: 'u1',
    lang,
    meters: Array.from({ length: meters }, (_, i) => ({
      meterNo: `MTR12345678${i}`,
      account: `ACC12345678${i}`,
      balanceMwh: 12_345_000 + i,
      hoursLeft: i === 0 ? 5 : null,
      emergencyMwh: i === 0 ? 2_000_000 : 0,
    })),
  };
  const ports: UssdPorts = {
    caller: async (phone) => (phone === '+254712345678' ? caller : null),
    purchases: async (_c, meterNo, limit) =>
      meterNo.endsWith('0')
        ? [
            { atMs: Date.parse('2026-12-05T10:00:00Z'), amountCents: 10_000, energyMwh: 5_000_000 },
            { atMs: Date.parse('2026-12-01T10:00:00Z'), amountCents: 15_000_000, energyMwh: 7_500_000_000 },
          ].slice(0, limit)
        : [],
    buy: async (_c, meterNo, kes, sessionId) => {
      effects.push(`buy ${meterNo} ${kes} ${sessionId}`);
      return null;
    },
    emergency: async (_c, meterNo, sessionId) => {
      effects.push(`emergency ${meterNo} ${sessionId}`);
      return null;
    },
    setLanguage: async (_c, l) => {
      effects.push(`lang ${l}`);
    },
  };
  const step = (text: string, phoneNumber = '+254712345678') =>
    ussdStep(ports, { sessionId: 's1', phoneNumber, answers: text === '' ? [] : text.split('*') });
  return { step, effects };
}

describe('USSD menu', () => {
  it('shows the main menu, then the balance of a single meter', async () => {
    const { step } = world(1);
    expect(await step('')).toMatch(/^CON Umeme\n1\. Balance/);
    expect(await step('1')).toBe(
      'END Meter MTR123456780: 12.35 kWh left, about 5 hours. Paybill account ACC123456780.',
    );
  });

  it('asks which meter when the caller has several', async () => {
    const { step } = world(3);
    expect(await step('1')).toBe('CON Choose a meter\n1. MTR123456780\n2. MTR123456781\n3. MTR123456782');
    expect(await step('1*2')).toMatch(/^END Meter MTR123456781: 12\.35 kWh left\. /);
    expect(await step('1*4')).toBe('END Invalid choice. Dial again.');
  });

  it('buys only at the confirmation, for the chosen meter and amount, keyed by the session', async () => {
    const { step, effects } = world(2);
    expect(await step('2*1')).toBe('CON Amount in KES (10-150000):');
    expect(await step('2*1*250')).toBe('CON Pay KES 250 for meter MTR123456780?\n1. Yes\n2. No');
    expect(effects).toEqual([]);
    expect(await step('2*1*250*1')).toBe('END Check your phone for the M-Pesa prompt and enter your PIN.');
    expect(effects).toEqual(['buy MTR123456780 250 s1']);
    expect(await step('2*1*250*2')).toBe('END Cancelled.');
    expect(effects).toHaveLength(1);
  });

  it('refuses an amount out of range or not a whole number, and does nothing', async () => {
    const { step, effects } = world(1);
    for (const bad of ['5', '150001', '12.5', 'abc', '-10', '']) {
      expect(await step(`2*${bad}`)).toMatch(/^END Enter whole shillings/);
    }
    expect(effects).toEqual([]);
  });

  it('lists the last purchases in Nairobi dates', async () => {
    const { step } = world(1);
    expect(await step('3')).toBe('END 05/12 KES 100.00 5.00kWh\n01/12 KES 150000.00 7500.00kWh');
  });

  it('offers emergency credit only where it is available, and takes it on confirmation', async () => {
    const { step, effects } = world(2);
    expect(await step('4*2')).toBe('END Emergency credit is not available for this meter now.');
    expect(await step('4*1')).toMatch(/^CON Take 2\.00 kWh emergency credit on MTR123456780\?/);
    expect(await step('4*1*1')).toMatch(/^END Emergency credit added/);
    expect(effects).toEqual(['emergency MTR123456780 s1']);
  });

  it('switches the language and answers in Kiswahili after', async () => {
    const en = world(1);
    expect(await en.step('5')).toBe('CON 1. English\n2. Kiswahili');
    expect(await en.step('5*2')).toBe('END Lugha imewekwa Kiswahili.');
    expect(en.effects).toEqual(['lang sw']);
    const sw = world(1, 'sw');
    expect(await sw.step('')).toMatch(/^CON Umeme\n1\. Salio/);
    expect(await sw.step('1')).toMatch(/^END Mita MTR123456780: kWh 12\.35 zimebaki, takriban saa 5\./);
  });

  it('tells an unknown number how to register, and ends any odd path without effects', async () => {
    const { step, effects } = world(1);
    expect(await step('', '+254799999999')).toMatch(/^END This number is not registered/);
    for (const odd of ['9', '0', '1*1*1*1*1*1*1*1*1*1', '*', '5*3', '2*x']) {
      expect(await step(odd)).toMatch(/^END /);
    }
    expect(effects).toEqual([]);
  });

  it('keeps every screen within what a handset shows', async () => {
    for (const lang of ['en', 'sw'] as const) {
      const { step } = world(5, lang);
      for (const path of ['', '1', '1*1', '2*1', '2*1*150000', '3*1', '4*1', '4*2', '5', '1*9']) {
        expect((await step(path)).length).toBeLessThanOrEqual(MAX_USSD_REPLY_CHARS);
      }
    }
    expect((await world(0).step('1')).length).toBeLessThanOrEqual(MAX_USSD_REPLY_CHARS);
  });
});
