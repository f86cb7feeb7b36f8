/**
 * A purchase receipt as the customer reads it: `GET /api/transactions/:id/receipt` (its documented
 * shape), laid out once (facts, the split, totals, information lines) for both the
 * on-screen view and the downloadable HTML file.
 */
import { RECEIPT_STYLE } from '@umeme/protocol';
import type { ReceiptAnswer } from '../api/api-types';
import type { MessageKey } from '../i18n/dictionary';
import { intlLocale, type Locale, type MessageParams } from '../i18n/i18n';
import { APP_TIME_ZONE, APP_TIME_ZONE_LABEL, formatKes, formatKwh, formatNumber } from './format';

export interface ReceiptLine {
  /** debt (recovered emergency credit), standing, energy, pass_through, levy, vat, rounding */
  kind: string;
  code: string;
  /** the tariff's own wording (English) */
  label: string;
  amountCents: number;
  energyKwh: number | null;
  rateCentsPerKwh: number | null;
  basisPoints: number | null;
}

export interface ReceiptInfoLine {
  code: string;
  energyKwh: number;
  valueCents: number;
}

export interface Receipt {
  transactionId: string;
  meterNo: string;
  /** the paybill account number; the meter number when it fits M-Pesa's 12 characters */
  accountNo: string;
  type: string;
  status: string;
  atMs: number;
  amountCents: number;
  energyKwh: number;
  mpesaReceipt: string | null;
  /** masked by the server (maskPhone in @umeme/protocol) */
  phone: string | null;
  balanceAfterKwh: number | null;
  /** the tariff version that priced it, when the server knows */
  tariffName: string | null;
  lines: ReceiptLine[];
  infoLines: ReceiptInfoLine[];
}

/** The receipt as the app lays it out, from the documented answer. */
export function receiptFromAnswer(answer: ReceiptAnswer): Receipt {
  return {
    transactionId: answer.transactionId,
    meterNo: answer.meterNo,
    accountNo: answer.accountNo,
    type: answer.type,
    status: answer.status,
    atMs: Date.parse(answer.completedAt ?? answer.createdAt),
    amountCents: answer.amountCents,
    energyKwh: answer.energyKwh,
    mpesaReceipt: answer.mpesaReceipt,
    phone: answer.phone,
    balanceAfterKwh: answer.balanceAfterKwh,
    tariffName: answer.tariffName,
    lines: answer.lines.map((l) => ({
      kind: l.kind,
      code: l.code,
      label: l.label,
      amountCents: l.amountCents,
      energyKwh: l.energyKwh,
      rateCentsPerKwh: l.rateCentsPerKwh,
      basisPoints: l.basisPoints,
    })),
    infoLines: answer.infoLines.map((l) => ({
      code: l.code,
      energyKwh: l.energyKwh,
      valueCents: l.valueCents,
    })),
  };
}

export function linesSumCents(receipt: Pick<Receipt, 'lines'>): number {
  return receipt.lines.reduce((sum, l) => sum + l.amountCents, 0);
}

type Translate = (key: MessageKey, params?: MessageParams) => string;

interface ReceiptFact {
  id: 'date' | 'meter' | 'account' | 'mpesa' | 'phone' | 'tariff';
  label: string;
  value: string;
}

interface ReceiptDisplayLine {
  kind: string;
  code: string;
  label: string;
  /** "4.35 kWh × KSh 20.00" for lines charged per kWh */
  detail: string | null;
  amountCents: number;
  amount: string;
}

/** Everything a receipt shows, worded and formatted in the customer's language. */
interface ReceiptDisplay {
  title: string;
  facts: ReceiptFact[];
  splitTitle: string;
  lines: ReceiptDisplayLine[];
  total: { label: string; value: string };
  energy: { label: string; value: string };
  balance: { label: string; value: string } | null;
  info: string[];
}

const kes = (locale: Locale, cents: number) => formatKes(locale, cents / 100);

/** Date and time in Kenya, with the year: a receipt is read long after. */
export function formatReceiptTime(locale: Locale, atMs: number): string {
  return (
    new Intl.DateTimeFormat(intlLocale[locale], {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: APP_TIME_ZONE,
    }).format(atMs) + ` ${APP_TIME_ZONE_LABEL}`
  );
}

function rateText(locale: Locale, centsPerKwh: number): string {
  const kesPerKwh = centsPerKwh / 100;
  const digits = Number.isInteger(centsPerKwh)
    ? 2
    : Math.min(4, 2 + String(centsPerKwh).split('.')[1]!.length);
  return `KSh ${formatNumber(locale, kesPerKwh, digits)}/kWh`;
}

function lineLabel(line: ReceiptLine, energyLines: number, t: Translate, locale: Locale): string {
  switch (line.kind) {
    case 'debt':
      return t('receiptLineDebt');
    case 'standing':
      return t('receiptLineStanding');
    case 'rounding':
      return t('receiptLineRounding');
    case 'vat':
      return line.basisPoints === null
        ? line.label
        : t('receiptLineVat', {
            rate: formatNumber(locale, line.basisPoints / 100, line.basisPoints % 100 ? 2 : 0),
          });
    case 'energy':
      // One band: "Energy"; several: the tariff's band names say which is which.
      return energyLines > 1 ? line.label : t('receiptLineEnergy');
    default:
      return line.label;
  }
}

export function describeReceipt(receipt: Receipt, t: Translate, locale: Locale): ReceiptDisplay {
  const facts: ReceiptFact[] = [
    { id: 'date', label: t('receiptDate'), value: formatReceiptTime(locale, receipt.atMs) },
    { id: 'meter', label: t('receiptMeter'), value: receipt.meterNo },
  ];
  if (receipt.accountNo !== receipt.meterNo)
    facts.push({ id: 'account', label: t('paybillAccount'), value: receipt.accountNo });
  if (receipt.mpesaReceipt)
    facts.push({ id: 'mpesa', label: t('payReceiptNumber'), value: receipt.mpesaReceipt });
  if (receipt.phone) facts.push({ id: 'phone', label: t('payReceiptPhone'), value: receipt.phone });
  if (receipt.tariffName) facts.push({ id: 'tariff', label: t('receiptTariff'), value: receipt.tariffName });
  const energyLines = receipt.lines.filter((l) => l.kind === 'energy').length;
  return {
    title: t('receiptTitle'),
    facts,
    splitTitle: t('receiptSplit'),
    lines: receipt.lines.map((l) => ({
      kind: l.kind,
      code: l.code,
      label: lineLabel(l, energyLines, t, locale),
      detail:
        l.energyKwh !== null && l.rateCentsPerKwh !== null
          ? `${formatKwh(locale, l.energyKwh)} × ${rateText(locale, l.rateCentsPerKwh)}`
          : null,
      amountCents: l.amountCents,
      amount: kes(locale, l.amountCents),
    })),
    total: { label: t('payReceiptAmount'), value: kes(locale, receipt.amountCents) },
    energy: { label: t('payReceiptEnergy'), value: formatKwh(locale, receipt.energyKwh) },
    balance:
      receipt.balanceAfterKwh === null
        ? null
        : { label: t('receiptNewBalance'), value: formatKwh(locale, receipt.balanceAfterKwh) },
    info: receipt.infoLines
      .filter((l) => l.code === 'friendly_hours_debt')
      .map((l) =>
        t('receiptFriendlyHours', {
          energy: formatKwh(locale, l.energyKwh),
          amount: kes(locale, l.valueCents),
        }),
      ),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A standalone, printable HTML page of the receipt, for "Download receipt". */
export function receiptHtml(display: ReceiptDisplay, locale: Locale, appName: string): string {
  const row = (label: string, value: string, cls = '', detail: string | null = null) =>
    `<tr class="${cls}"><th>${escapeHtml(label)}${detail ? `<small>${escapeHtml(detail)}</small>` : ''}</th><td>${escapeHtml(value)}</td></tr>`;
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(`${appName} — ${display.title}`)}</title>
<style>${RECEIPT_STYLE}</style></head><body>
<h1>${escapeHtml(appName)}</h1><p>${escapeHtml(display.title)}</p>
<table>${display.facts.map((f) => row(f.label, f.value)).join('')}</table>
<h2>${escapeHtml(display.splitTitle)}</h2>
<table>${display.lines.map((l) => row(l.label, l.amount, '', l.detail)).join('')}${row(display.total.label, display.total.value, 'total')}</table>
<table>${row(display.energy.label, display.energy.value)}${display.balance ? row(display.balance.label, display.balance.value) : ''}</table>
${display.info.map((i) => `<p class="info">${escapeHtml(i)}</p>`).join('')}
</body></html>
`;
}

/** A file name for the download: the M-Pesa receipt number when there is one. */
export function receiptFileName(receipt: Receipt): string {
  const ref = (receipt.mpesaReceipt ?? receipt.transactionId.slice(0, 8)).replace(/[^A-Za-z0-9-]/g, '');
  return `umeme-receipt-${ref}.html`;
}
