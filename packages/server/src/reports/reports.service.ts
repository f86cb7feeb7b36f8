import { centsText, centsToKes, mwhToKwh } from '@umeme/protocol';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { STATEMENT_STYLE } from '../shared/statement-style';
import type { Db } from '../db/db';
import { assertCan, assertUserAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus } from '../shared/events';
import type { ReportRow, Statement } from './reports.schema';
import { fillStatement, statementTexts, statementWord, type StatementLanguage } from './statement-texts';

/** Reporting days and months are Kenyan (docs/design.md §2; Daraja timestamps are in Kenyan time too). */
const ZONE = 'Africa/Nairobi';
const SOLD_KINDS = ['purchase', 'refund', 'reversal'];
/**
 * Demo money (`transactions.demo`: the demo top-up) is not money: it never counts as revenue or
 * sales. A ledger entry `l` belongs to it when its transaction does (refunds of a moved demo
 * credit point at the demo transaction too).
 */
const NOT_DEMO_LEDGER = `NOT EXISTS (SELECT 1 FROM transactions d WHERE d.id = l.transaction_id AND d.demo)`;

type Unit = 'day' | 'month';

const emptyTotals = (): Omit<ReportRow, 'period'> => ({
  moneyCents: 0,
  moneyByChannelCents: {},
  ledgerAmountCents: 0,
  soldMwh: 0,
  soldKwh: 0,
  consumedMwh: 0,
  consumedKwh: 0,
  adjustmentMwh: 0,
  emergencyMwh: 0,
  activeMeters: 0,
  revenuePerMeterCents: 0,
});

/** Sales and consumption by day or month, and customers' monthly statements (issue 5 §7). */
export class ReportsService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  async report(caller: Caller, unit: Unit, from: string, to: string) {
    assertCan(caller, 'console.view');
    const start = unit === 'day' ? from : `${from}-01`;
    const endExclusive = unit === 'day' ? `(${p(2)}::date + 1)` : `(${p(2)}::date + interval '1 month')`;
    const span = await this.db.query<{ n: number }>(
      unit === 'day'
        ? `SELECT ($2::date - $1::date)::int AS n`
        : `SELECT ((extract(year FROM $2::date) - extract(year FROM $1::date)) * 12 + extract(month FROM $2::date) - extract(month FROM $1::date))::int AS n`,
      [start, unit === 'day' ? to : `${to}-01`],
    );
    const n = span.rows[0]?.n ?? -1;
    if (n < 0) throw new AppError('BAD_REQUEST', '`from` must not be after `to`.');
    if (n >= (unit === 'day' ? L.reportMaxDays : L.reportMaxMonths))
      throw new AppError('BAD_REQUEST', 'That period is too long for one report.');
    const fmt = unit === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
    const range = (col: string) =>
      `${col} >= ($1::date::timestamp AT TIME ZONE '${ZONE}') AND ${col} < (${endExclusive}::timestamp AT TIME ZONE '${ZONE}')`;
    const period = (col: string) => `to_char(${col} AT TIME ZONE '${ZONE}', '${fmt}')`;
    const params = [start, unit === 'day' ? to : `${to}-01`];
    const [money, ledger, consumed] = await Promise.all([
      this.db.query<{ period: string; source: string; cents: number }>(
        `SELECT ${period('completed_at')} AS period, source, SUM(amount_cents)::bigint AS cents FROM transactions
          WHERE status = 'completed' AND amount_cents > 0 AND NOT demo AND ${range('completed_at')}
          GROUP BY 1, 2`,
        params,
      ),
      this.db.query<{ period: string; kind: string; mwh: number; cents: number }>(
        `SELECT ${period('l.created_at')} AS period, l.kind, SUM(l.energy_mwh)::bigint AS mwh, SUM(l.amount_cents)::bigint AS cents
           FROM ledger_entries l WHERE ${range('l.created_at')} AND ${NOT_DEMO_LEDGER} GROUP BY 1, 2`,
        params,
      ),
      this.db.query<{ period: string; mwh: number; meters: number }>(
        `SELECT ${period('hour')} AS period, SUM(energy_mwh)::bigint AS mwh, COUNT(DISTINCT meter_no)::int AS meters
           FROM consumption_hourly WHERE ${range('hour')} GROUP BY 1`,
        params,
      ),
    ]);
    const rows = new Map<string, ReportRow>();
    const rowOf = (key: string) => {
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { period: key, ...emptyTotals() }));
      return r;
    };
    for (const m of money.rows) {
      const r = rowOf(m.period);
      r.moneyCents += m.cents;
      r.moneyByChannelCents[m.source] = (r.moneyByChannelCents[m.source] ?? 0) + m.cents;
    }
    for (const l of ledger.rows) {
      const r = rowOf(l.period);
      if (SOLD_KINDS.includes(l.kind)) {
        r.soldMwh += l.mwh;
        r.ledgerAmountCents += l.cents;
      } else if (l.kind === 'adjustment') r.adjustmentMwh += l.mwh;
      else if (l.kind === 'emergency') r.emergencyMwh += l.mwh;
    }
    for (const c of consumed.rows) {
      const r = rowOf(c.period);
      r.consumedMwh += c.mwh;
      r.activeMeters = c.meters;
    }
    const sorted = [...rows.values()].sort((a, b) => a.period.localeCompare(b.period));
    const totals = emptyTotals();
    for (const r of sorted) {
      r.soldKwh = mwhToKwh(r.soldMwh);
      r.consumedKwh = mwhToKwh(r.consumedMwh);
      r.revenuePerMeterCents = r.activeMeters > 0 ? Math.floor(r.moneyCents / r.activeMeters) : 0;
      totals.moneyCents += r.moneyCents;
      for (const [k, v] of Object.entries(r.moneyByChannelCents))
        totals.moneyByChannelCents[k] = (totals.moneyByChannelCents[k] ?? 0) + v;
      totals.ledgerAmountCents += r.ledgerAmountCents;
      totals.soldMwh += r.soldMwh;
      totals.consumedMwh += r.consumedMwh;
      totals.adjustmentMwh += r.adjustmentMwh;
      totals.emergencyMwh += r.emergencyMwh;
      totals.activeMeters = Math.max(totals.activeMeters, r.activeMeters);
    }
    totals.soldKwh = mwhToKwh(totals.soldMwh);
    totals.consumedKwh = mwhToKwh(totals.consumedMwh);
    totals.revenuePerMeterCents =
      totals.activeMeters > 0 ? Math.floor(totals.moneyCents / totals.activeMeters) : 0;
    return { unit, from, to, rows: sorted, totals };
  }

  /** The language a customer chose for SMS, which their statements use too unless asked otherwise. */
  async statementLanguage(caller: Caller, userId: string): Promise<StatementLanguage> {
    assertUserAccess(caller, userId);
    const { rows } = await this.db.query<{ locale: string }>(`SELECT locale FROM users WHERE id = $1`, [
      userId,
    ]);
    return rows[0]?.locale === 'sw' ? 'sw' : 'en';
  }

  async statement(caller: Caller, userId: string, month: string): Promise<Statement> {
    assertUserAccess(caller, userId);
    const user = await this.db.query<{ name: string; email: string }>(
      `SELECT name, email FROM users WHERE id = $1`,
      [userId],
    );
    const u = user.rows[0];
    if (!u) throw new AppError('USER_NOT_FOUND');
    const start = `${month}-01`;
    const range = (col: string) =>
      `${col} >= ($2::date::timestamp AT TIME ZONE '${ZONE}') AND ${col} < (($2::date + interval '1 month')::timestamp AT TIME ZONE '${ZONE}')`;
    // A purchase is the payer's (transactions.user_id), whoever holds the meter now: a meter
    // that changed hands shows each household only its own purchases, and its consumption and
    // adjustments only since it was assigned to them (the audit log's last `meter.assigned`).
    const heldSince = `COALESCE((SELECT max(a.created_at) FROM audit_log a
              WHERE a.target = m.meter_no AND a.action = 'meter.assigned'), '-infinity'::timestamptz)`;
    const [meters, txs, totals] = await Promise.all([
      this.db.query<{
        meter_no: string;
        paid: number;
        bought: number;
        consumed: number;
        adjusted: number;
        debt_cents: number;
        balance_mwh: number;
      }>(
        `SELECT m.meter_no, m.debt_cents, (m.credit_limit_mwh - m.energy_mwh) AS balance_mwh,
            (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM transactions t
              WHERE t.meter_no = m.meter_no AND t.user_id = $1 AND t.status = 'completed' AND t.amount_cents > 0 AND NOT t.demo
                AND ${range('t.completed_at')}) AS paid,
            (SELECT COALESCE(SUM(l.energy_mwh), 0)::bigint FROM ledger_entries l JOIN transactions t ON t.id = l.transaction_id
              WHERE l.meter_no = m.meter_no AND t.user_id = $1 AND l.kind IN ('purchase', 'refund', 'reversal') AND NOT t.demo
                AND ${range('l.created_at')}) AS bought,
            (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM ledger_entries l
              WHERE l.meter_no = m.meter_no AND l.kind IN ('adjustment', 'emergency') AND ${range('l.created_at')}
                AND l.created_at >= ${heldSince}) AS adjusted,
            (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM consumption_hourly h
              WHERE h.meter_no = m.meter_no AND ${range('h.hour')}
                AND h.hour >= date_trunc('hour', ${heldSince})) AS consumed
           FROM meters m WHERE m.user_id = $1 ORDER BY m.meter_no`,
        [userId, start],
      ),
      this.db.query<{
        id: string;
        meter_no: string;
        type: string;
        source: string;
        status: string;
        amount_cents: number;
        energy_mwh: number;
        receipt: { recoveredDebtCents?: number } | null;
        created_at: Date | string;
      }>(
        `SELECT id, meter_no, type, source, status, amount_cents, energy_mwh, receipt, created_at FROM transactions t
          WHERE t.user_id = $1 AND ${range('t.created_at')}
          ORDER BY created_at LIMIT 1000`,
        [userId, start],
      ),
      // Every purchase of the month, also on meters the user no longer holds.
      this.db.query<{ paid: number; bought: number }>(
        `SELECT (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM transactions t
                  WHERE t.user_id = $1 AND t.status = 'completed' AND t.amount_cents > 0 AND NOT t.demo
                    AND ${range('t.completed_at')}) AS paid,
                (SELECT COALESCE(SUM(l.energy_mwh), 0)::bigint FROM ledger_entries l JOIN transactions t ON t.id = l.transaction_id
                  WHERE t.user_id = $1 AND l.kind IN ('purchase', 'refund', 'reversal') AND NOT t.demo
                    AND ${range('l.created_at')}) AS bought`,
        [userId, start],
      ),
    ]);
    const url = `/api/statements/${month}?format=html`;
    const statement: Statement = {
      userId,
      name: u.name,
      email: u.email,
      period: month,
      meters: meters.rows.map((m) => ({
        meterNo: m.meter_no,
        paidCents: m.paid,
        boughtMwh: m.bought,
        consumedMwh: m.consumed,
        adjustmentMwh: m.adjusted,
        debtCents: m.debt_cents,
        balanceKwh: mwhToKwh(m.balance_mwh),
      })),
      transactions: txs.rows.map((t) => ({
        id: t.id,
        meterNo: t.meter_no,
        type: t.type,
        source: t.source,
        status: t.status,
        amountCents: t.amount_cents,
        energyKwh: mwhToKwh(t.energy_mwh),
        recoveredDebtCents: t.receipt?.recoveredDebtCents ?? 0,
        at: new Date(t.created_at).toISOString(),
      })),
      totals: {
        paidCents: totals.rows[0]!.paid,
        boughtKwh: mwhToKwh(totals.rows[0]!.bought),
        consumedKwh: mwhToKwh(meters.rows.reduce((s, m) => s + m.consumed, 0)),
      },
      url,
    };
    this.bus.emit('bill_generated', { userId, period: month, url, amountCents: totals.rows[0]!.paid });
    return statement;
  }
}

function p(n: number): string {
  return `$${n}`;
}

const csvCell = (v: string | number): string => {
  const s = String(v);
  // Quote anything a spreadsheet could misread, and defuse formulas.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function reportCsv(report: { rows: ReportRow[] }): string {
  const channels = [...new Set(report.rows.flatMap((r) => Object.keys(r.moneyByChannelCents)))].sort();
  return toCsv(
    [
      'period',
      'money_kes',
      ...channels.map((c) => `money_${c}_kes`),
      'sold_kwh',
      'consumed_kwh',
      'adjustment_kwh',
      'emergency_kwh',
      'active_meters',
      'revenue_per_meter_kes',
    ],
    report.rows.map((r) => [
      r.period,
      centsToKes(r.moneyCents),
      ...channels.map((c) => centsToKes(r.moneyByChannelCents[c] ?? 0)),
      r.soldKwh,
      r.consumedKwh,
      mwhToKwh(r.adjustmentMwh),
      mwhToKwh(r.emergencyMwh),
      r.activeMeters,
      centsToKes(r.revenuePerMeterCents),
    ]),
  );
}

export function statementCsv(s: Statement, lang: StatementLanguage = 'en'): string {
  return toCsv(
    [...statementTexts[lang].csvColumns],
    s.transactions.map((t) => [
      t.at,
      t.meterNo,
      statementWord(lang, 'type', t.type),
      t.source,
      statementWord(lang, 'status', t.status),
      centsToKes(t.amountCents),
      t.energyKwh,
      centsToKes(t.recoveredDebtCents),
    ]),
  );
}

const esc = (s: string | number) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function statementHtml(s: Statement, lang: StatementLanguage = 'en'): string {
  const words = statementTexts[lang];
  const rows = s.transactions
    .map(
      (t) =>
        `<tr><td>${esc(t.at.slice(0, 10))}</td><td translate="no">${esc(t.meterNo)}</td><td>${esc(statementWord(lang, 'type', t.type))}</td><td>${esc(statementWord(lang, 'status', t.status))}</td><td>${esc(centsText(t.amountCents))}</td><td>${esc(t.energyKwh)}</td><td>${esc(centsText(t.recoveredDebtCents))}</td></tr>`,
    )
    .join('');
  const totals = fillStatement(words.totals, {
    paid: centsText(s.totals.paidCents),
    bought: s.totals.boughtKwh,
    consumed: s.totals.consumedKwh,
  });
  const head = words.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(fillStatement(words.title, { period: s.period }))}</title>
<style>${STATEMENT_STYLE}</style></head>
<body><h1>${esc(fillStatement(words.heading, { period: s.period }))}</h1><p translate="no">${esc(s.name)} &lt;${esc(s.email)}&gt;</p>
<p>${esc(totals)}</p>
<table><tr>${head}</tr>${rows}</table></body></html>`;
}
