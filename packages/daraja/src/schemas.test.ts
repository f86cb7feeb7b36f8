// Protects the pure Daraja helpers: Kenyan timestamps, passwords, phone numbers, metadata reading.
import { afterEach, describe, expect, it } from 'vitest';
import {
  c2bTransactionSchema,
  darajaTimestamp,
  normalizeMsisdn,
  parseDarajaTimestamp,
  readCallbackMetadata,
  resultCodeReason,
  stkCallbackBodySchema,
  stkPassword,
  stkPushRequestSchema,
  stkQueryResponseSchema,
  transAmountToCents,
} from './schemas';
import { redactForLog } from './logging';

describe('darajaTimestamp', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('writes the instant in Nairobi time, three hours ahead of UTC', () => {
    expect(darajaTimestamp(new Date('2024-03-05T06:07:08Z'))).toBe('20240305090708');
  });

  it('rolls over the day, month and year when Nairobi is already past midnight', () => {
    expect(darajaTimestamp(new Date('2024-12-31T22:30:05Z'))).toBe('20250101013005');
    expect(darajaTimestamp(new Date('2024-02-28T21:00:00Z'))).toBe('20240229000000');
  });

  it('does not depend on the machine time zone', () => {
    const instant = new Date('2024-07-01T12:00:00Z');
    for (const tz of ['UTC', 'America/New_York', 'Asia/Tokyo', 'Africa/Nairobi']) {
      process.env.TZ = tz;
      expect(darajaTimestamp(instant)).toBe('20240701150000');
    }
  });

  it('round-trips through parseDarajaTimestamp and refuses impossible dates', () => {
    const instant = new Date('2025-06-15T04:05:06Z');
    expect(parseDarajaTimestamp(darajaTimestamp(instant))?.toISOString()).toBe(instant.toISOString());
    expect(parseDarajaTimestamp('20251301000000')).toBeNull();
    expect(parseDarajaTimestamp('20250230120000')).toBeNull();
    expect(parseDarajaTimestamp('2025061507050')).toBeNull();
  });
});

describe('stkPassword', () => {
  it('is base64 of shortcode, passkey and timestamp joined', () => {
    const password = stkPassword('174379', 'passkey123', '20240101120000');
    expect(Buffer.from(password, 'base64').toString('utf8')).toBe('174379passkey12320240101120000');
  });
});

describe('normalizeMsisdn', () => {
  it.each([
    ['0712345678', '254712345678'],
    ['+254712345678', '254712345678'],
    ['254712345678', '254712345678'],
    ['712345678', '254712345678'],
    ['0712 345 678', '254712345678'],
    ['0712-345-678', '254712345678'],
    ['0112345678', '254112345678'],
    ['254112345678', '254112345678'],
    ['+254112345678', '254112345678'],
    ['112345678', '254112345678'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizeMsisdn(input)).toBe(expected);
  });

  it.each([
    '',
    '071234567',
    '07123456789',
    '0812345678',
    '254812345678',
    '2547123456789',
    '+0712345678',
    '25471234567a',
    '255712345678',
    '+1 712 345 678',
    '0'.repeat(40),
  ])('refuses %s', (input) => {
    expect(normalizeMsisdn(input)).toBeNull();
  });
});

describe('readCallbackMetadata', () => {
  it('reads items by name whatever their order, skipping items without a value', () => {
    const meta = readCallbackMetadata([
      { Name: 'PhoneNumber', Value: 254712345678 },
      { Name: 'Balance' },
      { Name: 'TransactionDate', Value: 20240101120000 },
      { Name: 'MpesaReceiptNumber', Value: 'SAB1CDE2FG' },
      { Name: 'Amount', Value: 100 },
      { Name: 'SomethingNew', Value: 'x' },
    ]);
    expect(meta).toEqual({
      amountCents: 10000,
      mpesaReceiptNumber: 'SAB1CDE2FG',
      transactionDate: '20240101120000',
      phoneNumber: '254712345678',
    });
  });

  it('turns decimal amounts into integer cents by their decimal text, half to even', () => {
    expect(readCallbackMetadata([{ Name: 'Amount', Value: 1.1 }]).amountCents).toBe(110);
    expect(readCallbackMetadata([{ Name: 'Amount', Value: 0.125 }]).amountCents).toBe(12);
    expect(readCallbackMetadata([{ Name: 'Amount', Value: 0.135 }]).amountCents).toBe(14);
    expect(readCallbackMetadata([{ Name: 'Amount', Value: '250.50' }]).amountCents).toBe(25050);
  });

  it('leaves out values it cannot trust', () => {
    expect(
      readCallbackMetadata([
        { Name: 'Amount', Value: -5 },
        { Name: 'TransactionDate', Value: 'yesterday' },
        { Name: 'MpesaReceiptNumber', Value: '' },
      ]),
    ).toEqual({});
    expect(readCallbackMetadata(undefined)).toEqual({});
  });
});

describe('resultCodeReason', () => {
  it.each([
    [0, 'Payment received'],
    [1, 'Insufficient M-Pesa balance'],
    [1032, 'Payment cancelled on the phone'],
    [1037, 'The phone could not be reached or did not respond in time'],
    [2001, 'Wrong M-Pesa PIN entered'],
    ['1019', 'The payment request expired before it was completed'],
  ])('explains %s', (code, reason) => {
    expect(resultCodeReason(code)).toBe(reason);
  });

  it('has a reason for every code met in practice and a fallback for the rest', () => {
    for (const code of [17, 26, 1001, 1025, 9999, 1031]) {
      expect(resultCodeReason(code)).not.toMatch(/code/);
    }
    expect(resultCodeReason(4242)).toBe('Payment failed (M-Pesa code 4242)');
  });
});

describe('wire schemas', () => {
  const push = {
    BusinessShortCode: '174379',
    Password: 'x',
    Timestamp: '20240101120000',
    TransactionType: 'CustomerPayBillOnline',
    Amount: 100,
    PartyA: '254712345678',
    PartyB: '174379',
    PhoneNumber: '254712345678',
    CallBackURL: 'https://example.com/cb',
    AccountReference: 'M123456789',
    TransactionDesc: 'Electricity',
  };

  it('accepts a well-formed STK push request', () => {
    expect(stkPushRequestSchema.safeParse(push).success).toBe(true);
  });

  it.each([
    ['a decimal amount', { Amount: 10.5 }],
    ['a zero amount', { Amount: 0 }],
    ['an amount above the ceiling', { Amount: 250_001 }],
    ['a 13-character account reference', { AccountReference: 'M123456789012' }],
    ['a local phone number', { PhoneNumber: '0712345678' }],
    ['a non-http callback', { CallBackURL: 'ftp://example.com/cb' }],
    ['an unknown field', { Extra: 1 }],
  ])('refuses an STK push request with %s', (_label, change) => {
    expect(stkPushRequestSchema.safeParse({ ...push, ...change }).success).toBe(false);
  });

  it('reads query result codes as text even when sent as numbers', () => {
    const parsed = stkQueryResponseSchema.parse({
      ResponseCode: '0',
      ResponseDescription: 'ok',
      MerchantRequestID: 'm',
      CheckoutRequestID: 'c',
      ResultCode: 1032,
      ResultDesc: 'Request cancelled by user',
    });
    expect(parsed.ResultCode).toBe('1032');
  });

  it('accepts callbacks with extra fields and refuses callbacks without a numeric ResultCode', () => {
    const body = {
      Body: {
        stkCallback: {
          MerchantRequestID: 'm',
          CheckoutRequestID: 'c',
          ResultCode: 1032,
          ResultDesc: 'x',
          New: 1,
        },
      },
    };
    expect(stkCallbackBodySchema.safeParse(body).success).toBe(true);
    const bad = { Body: { stkCallback: { ...body.Body.stkCallback, ResultCode: 'zero' } } };
    expect(stkCallbackBodySchema.safeParse(bad).success).toBe(false);
  });

  it('keeps C2B TransAmount as decimal text and converts it to cents exactly', () => {
    const body = {
      TransactionType: 'Pay Bill',
      TransID: 'RKTQDM7W6S',
      TransTime: '20240101120000',
      TransAmount: '100.00',
      BusinessShortCode: '600638',
      BillRefNumber: 'M1',
      MSISDN: '2547 ***** 126',
    };
    expect(c2bTransactionSchema.safeParse(body).success).toBe(true);
    expect(c2bTransactionSchema.safeParse({ ...body, TransAmount: 100 }).success).toBe(false);
    expect(transAmountToCents('100.00')).toBe(10000);
    expect(transAmountToCents('0.5')).toBe(50);
    expect(transAmountToCents('1e3')).toBeUndefined();
  });
});

describe('redactForLog', () => {
  it('hides credentials and secret-bearing URLs and masks phone numbers', () => {
    const out = JSON.stringify(
      redactForLog({
        Password: 'c2VjcmV0',
        access_token: 'tok',
        PhoneNumber: '254712345678',
        CallBackURL: 'https://example.com/daraja/callback/s3cr3t-token',
        Body: { stkCallback: { CallbackMetadata: { Item: [{ Name: 'PhoneNumber', Value: 254712345678 }] } } },
      }),
    );
    for (const secret of ['c2VjcmV0', '"tok"', '254712345678', 's3cr3t-token']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('https://example.com/');
  });
});
