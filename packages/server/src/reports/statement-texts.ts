/**
 * A customer's statement (HTML and CSV) in their language: the one asked for with `lang`, else
 * the language they chose for SMS (`users.locale`). Transaction types and statuses are codes in
 * the data; these are their words.
 */
export type StatementLanguage = 'en' | 'sw';

export const statementTexts = {
  en: {
    title: 'Umeme statement {period}',
    heading: 'Statement {period}',
    totals: 'Paid KES {paid} · bought {bought} kWh · consumed {consumed} kWh',
    columns: ['Date', 'Meter', 'Type', 'Status', 'KES', 'kWh', 'Debt recovered KES'],
    csvColumns: [
      'date',
      'meter',
      'type',
      'source',
      'status',
      'amount_kes',
      'energy_kwh',
      'debt_recovered_kes',
    ],
    type: {
      payment: 'payment',
      paybill: 'paybill',
      topup: 'top-up',
      simulate: 'demo top-up',
      adjustment: 'adjustment',
      refund: 'refund',
      consumption: 'consumption',
      opening: 'opening credit',
      emergency: 'emergency advance',
    },
    status: { pending: 'pending', completed: 'completed', failed: 'failed', reversed: 'reversed' },
  },
  sw: {
    title: 'Taarifa ya Umeme {period}',
    heading: 'Taarifa ya akaunti {period}',
    totals: 'Umelipa KES {paid} · umenunua kWh {bought} · umetumia kWh {consumed}',
    columns: ['Tarehe', 'Mita', 'Aina', 'Hali', 'KES', 'kWh', 'Deni lililorejeshwa KES'],
    csvColumns: [
      'tarehe',
      'mita',
      'aina',
      'chanzo',
      'hali',
      'kiasi_kes',
      'nishati_kwh',
      'deni_lililorejeshwa_kes',
    ],
    type: {
      payment: 'malipo',
      paybill: 'paybill',
      topup: 'kuongeza salio',
      simulate: 'salio la majaribio',
      adjustment: 'marekebisho',
      refund: 'kurejeshewa pesa',
      consumption: 'matumizi',
      opening: 'salio la mwanzo',
      emergency: 'mkopo wa dharura',
    },
    status: {
      pending: 'inasubiri',
      completed: 'imekamilika',
      failed: 'imeshindikana',
      reversed: 'imebatilishwa',
    },
  },
} as const satisfies Record<
  StatementLanguage,
  {
    columns: readonly string[];
    csvColumns: readonly string[];
    type: Record<string, string>;
    status: Record<string, string>;
  } & Record<'title' | 'heading' | 'totals', string>
>;

/** A code's word in the statement's language, or the code itself when it has none. */
export function statementWord(lang: StatementLanguage, group: 'type' | 'status', code: string): string {
  const words: Record<string, string> = statementTexts[lang][group];
  return Object.hasOwn(words, code) ? words[code]! : code;
}

export function fillStatement(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    values[name] === undefined ? whole : String(values[name]),
  );
}
