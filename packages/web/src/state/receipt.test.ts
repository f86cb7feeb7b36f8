// Protects the receipt view's rules: reading the documented API answer, wording each line of the split in both languages, the friendly-hours line, and the downloadable HTML.
import { describe, expect, it } from 'vitest';
import type { MessageKey } from '../i18n/dictionary';
import { translate, type Locale, type MessageParams } from '../i18n/i18n';
import type { ReceiptAnswer } from '../api/api-types';
import { describeReceipt, linesSumCents, receiptFileName, receiptFromAnswer, receiptHtml } from './receipt';

type Line = ReceiptAnswer['lines'][number];
/** A line of the documented answer; what a test leaves out is absent (null). */
const line = (l: Pick<Line, 'kind' | 'code' | 'label' | 'amountCents'> & Partial<Line>): Line => ({
  amountKes: l.amountCents / 100,
  energyKwh: null,
  rateCentsPerKwh: null,
  basisPoints: null,
  ...l,
});

const answer: ReceiptAnswer = {
  transactionId: '6f1c2a4e-0000-4000-8000-000000000001',
  meterNo: 'DEMO-001',
  accountNo: 'DEMO-001',
  type: 'payment',
  source: 'mpesa_stk',
  status: 'completed',
  createdAt: '2026-11-22T07:00:00.000Z',
  completedAt: '2026-11-22T07:00:01.000Z',
  amountCents: 50_000,
  amountKes: 500,
  energyKwh: 17.5,
  energyMwh: 17_500_000,
  mpesaReceipt: 'SKL4H7XQ2P',
  phone: '2547*****678',
  balanceAfterKwh: 12.25,
  tariffId: 'domestic',
  tariffName: 'Domestic',
  lines: [
    line({ kind: 'debt', code: 'debt', label: 'Debt recovered', amountCents: 5_000 }),
    line({ kind: 'standing', code: 'standing', label: 'Standing charge', amountCents: 5_000 }),
    line({
      kind: 'energy',
      code: 'energy',
      label: 'Energy',
      amountCents: 30_000,
      energyKwh: 17.5,
      rateCentsPerKwh: 1222,
    }),
    line({
      kind: 'pass_through',
      code: 'fuel',
      label: 'Fuel energy cost',
      amountCents: 3_000,
      energyKwh: 17.5,
      rateCentsPerKwh: 122.98,
    }),
    line({ kind: 'levy', code: 'epra', label: 'EPRA levy', amountCents: 140 }),
    line({ kind: 'vat', code: 'vat', label: 'VAT 16%', amountCents: 6_850, basisPoints: 1600 }),
    line({ kind: 'rounding', code: 'rounding', label: 'Rounding', amountCents: 10 }),
  ],
  infoLines: [
    {
      code: 'friendly_hours_debt',
      label: 'x',
      energyKwh: 1.5,
      energyMwh: 1_500_000,
      valueCents: 2_571,
      valueKes: 25.71,
    },
  ],
};

const tr = (locale: Locale) => (key: MessageKey, params?: MessageParams) => translate(locale, key, params);

describe('receipt', () => {
  it('reads the answer, timed when it completed; the lines sum to the amount', () => {
    const r = receiptFromAnswer(answer);
    expect(r.lines).toHaveLength(7);
    expect(linesSumCents(r)).toBe(r.amountCents);
    expect(r.atMs).toBe(Date.parse('2026-11-22T07:00:01.000Z'));
    expect(receiptFromAnswer({ ...answer, completedAt: null }).atMs).toBe(Date.parse(answer.createdAt));
  });

  it('words every line in English, in KES with two decimals, with the friendly-hours line', () => {
    const d = describeReceipt(receiptFromAnswer(answer), tr('en'), 'en');
    expect(d.lines.map((l) => [l.label, l.amount])).toEqual([
      ['Emergency credit recovered', 'KSh 50.00'],
      ['Standing charge', 'KSh 50.00'],
      ['Energy', 'KSh 300.00'],
      ['Fuel energy cost', 'KSh 30.00'],
      ['EPRA levy', 'KSh 1.40'],
      ['VAT 16%', 'KSh 68.50'],
      ['Rounding (too little for more energy)', 'KSh 0.10'],
    ]);
    expect(d.lines[2]!.detail).toBe('17.50 kWh × KSh 12.22/kWh');
    expect(d.lines[3]!.detail).toBe('17.50 kWh × KSh 1.2298/kWh');
    expect(d.total.value).toBe('KSh 500.00');
    expect(d.balance?.value).toBe('12.25 kWh');
    expect(d.facts.map((f) => f.id)).toEqual(['date', 'meter', 'mpesa', 'phone', 'tariff']);
    expect(d.facts[0]!.value).toContain('2026');
    expect(d.facts[0]!.value).toContain('10:00'); // Nairobi time
    expect(d.facts[0]!.value).toMatch(/ EAT$/);
    expect(d.info).toEqual(['1.50 kWh used during friendly hours repaid (KSh 25.71)']);
  });

  it('reads in Kiswahili', () => {
    const d = describeReceipt(receiptFromAnswer(answer), tr('sw'), 'sw');
    expect(d.lines[0]!.label).toBe('Mkopo wa dharura uliorejeshwa');
    expect(d.balance?.label).toBe('Salio jipya');
    expect(d.info[0]).toContain('saa rafiki');
  });

  it('uses the tariff band names when there are several energy lines, and omits what is unknown', () => {
    const r = receiptFromAnswer({
      ...answer,
      mpesaReceipt: null,
      phone: null,
      balanceAfterKwh: null,
      tariffName: null,
      infoLines: [],
      lines: [
        line({ kind: 'energy', code: 'energy', label: 'Lifeline 0–30 kWh', amountCents: 20_000 }),
        line({ kind: 'energy', code: 'energy', label: 'Domestic 30–100 kWh', amountCents: 30_000 }),
      ],
    });
    const d = describeReceipt(r, tr('en'), 'en');
    expect(d.lines.map((l) => l.label)).toEqual(['Lifeline 0–30 kWh', 'Domestic 30–100 kWh']);
    expect(d.facts.map((f) => f.id)).toEqual(['date', 'meter']);
    expect(d.balance).toBeNull();
    expect(d.info).toEqual([]);
    expect(receiptFileName(r)).toBe('umeme-receipt-6f1c2a4e.html');
  });

  it('the download is a standalone page with every line, escaped', () => {
    const r = receiptFromAnswer({ ...answer, meterNo: '<b>M1</b>' });
    const html = receiptHtml(describeReceipt(r, tr('en'), 'en'), 'en', 'Umeme');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('&lt;b&gt;M1&lt;/b&gt;');
    expect(html).not.toContain('<b>M1');
    expect(html).toContain('KSh 68.50');
    expect(html).toContain('friendly hours');
    expect(receiptFileName(r)).toBe('umeme-receipt-SKL4H7XQ2P.html');
  });
});
