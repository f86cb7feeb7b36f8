// Protects what a customer pays for each SMS: every text in both languages is one GSM-7 message at its longest.
import { smsLength } from '@umeme/africastalking';
import { describe, expect, it } from 'vitest';
import { kwhText, renderSms, type SmsLanguage, type SmsMessage } from './sms-texts';

/** The longest values a message can carry: a 12-character meter number and account, the
 * largest purchase (KES 150,000), balances in the thousands of kWh. */
const longest: SmsMessage[] = [
  {
    kind: 'receipt',
    meterNo: 'MTR123456789',
    account: 'ACC123456789',
    amountCents: 15_000_000,
    energyMwh: 7_500_000_000,
    balanceMwh: 99_999_990_000,
    receipt: 'QJK1ABC2DEXY',
  },
  { kind: 'low_balance', meterNo: 'MTR123456789', account: 'ACC123456789', balanceMwh: 9_990_000 },
  {
    kind: 'predicted_low',
    meterNo: 'MTR123456789',
    account: 'ACC123456789',
    balanceMwh: 99_990_000,
    hoursLeft: 48,
  },
  { kind: 'supply_cut', meterNo: 'MTR123456789', account: 'ACC123456789' },
  { kind: 'supply_restored', meterNo: 'MTR123456789', balanceMwh: 99_999_990_000 },
  { kind: 'operator_disconnect', meterNo: 'MTR123456789', reason: 'x'.repeat(300) },
  { kind: 'topup_approved', meterNo: 'MTR123456789', amountCents: 15_000_000, balanceMwh: 99_999_990_000 },
  { kind: 'topup_rejected', meterNo: 'MTR123456789', amountCents: 15_000_000, reason: 'y'.repeat(300) },
  { kind: 'emergency_credit', meterNo: 'MTR123456789', energyMwh: 99_990_000, debtCents: 15_000_000 },
  { kind: 'password_reset', code: '123456', validMinutes: 15 },
];

describe('SMS texts', () => {
  for (const lang of ['en', 'sw'] as SmsLanguage[]) {
    for (const m of longest) {
      it(`${m.kind} in ${lang} is one GSM-7 message at its longest`, () => {
        const text = renderSms(m, lang, '4123456');
        expect(smsLength(text)).toMatchObject({ encoding: 'gsm7', parts: 1 });
        expect(text).toContain('meterNo' in m ? 'MTR123456789' : '123456');
      });
    }
  }

  it('prints money to the cent and energy to 10 Wh, exactly', () => {
    const text = renderSms(
      {
        kind: 'receipt',
        meterNo: '12345678',
        account: '12345678',
        amountCents: 10_050,
        energyMwh: 5_025_000,
        balanceMwh: 12_344_999,
        receipt: 'QJK1ABC2DE',
      },
      'en',
      '4123456',
    );
    expect(text).toBe(
      'Umeme: paid KES 100.50 for meter 12345678: 5.03 kWh. Balance 12.34 kWh. M-Pesa QJK1ABC2DE. Account 12345678.',
    );
    expect(kwhText(-1_005_000)).toBe('-1.01');
    expect(kwhText(0)).toBe('0.00');
  });

  it('Kiswahili says the same things in Kiswahili', () => {
    const m: SmsMessage = { kind: 'supply_cut', meterNo: '12345678', account: '12345678' };
    expect(renderSms(m, 'sw', '4123456')).toBe(
      'Umeme: umeme wa mita 12345678 umekatika, salio limekwisha. Lipa kwa paybill 4123456, akaunti 12345678 kuurudisha.',
    );
    expect(renderSms({ ...m, kind: 'supply_restored', balanceMwh: 5_000_000 }, 'sw', '1')).toBe(
      'Umeme: umeme wa mita 12345678 umerudi. Salio kWh 5.00.',
    );
  });

  it('keeps a short reason whole and shortens a long one with an ellipsis', () => {
    const short = renderSms(
      { kind: 'operator_disconnect', meterNo: '12345678', reason: 'Meter tampering' },
      'en',
      '1',
    );
    expect(short).toBe('Umeme: your operator turned off meter 12345678: Meter tampering.');
    const long = renderSms(
      { kind: 'operator_disconnect', meterNo: '12345678', reason: 'Safety: '.repeat(40) },
      'en',
      '1',
    );
    expect(long.endsWith('...')).toBe(true);
    expect(smsLength(long).parts).toBe(1);
    expect(smsLength(long).units).toBeGreaterThan(150);
  });

  it('keeps a reason with typographic quotes in GSM-7', () => {
    const text = renderSms(
      {
        kind: 'topup_rejected',
        meterNo: '12345678',
        amountCents: 50_000,
        reason: 'Bank slip “unreadable” – resend',
      },
      'en',
      '1',
    );
    expect(smsLength(text).encoding).toBe('gsm7');
    expect(text).toContain('"unreadable" - resend.');
  });
});
