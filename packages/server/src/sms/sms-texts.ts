/**
 * The SMS a customer receives, in English or Kiswahili. Each fits one GSM-7 message (160
 * characters, one charge) for every amount a purchase can have and any meter number or account
 * of up to 12 characters; only a long free-text reason is shortened to fit. Numbers are
 * integers in (cents, mWh) and printed exactly: money to the cent, energy to 10 Wh.
 */
import { SMS_SINGLE_GSM7, smsLength, toGsm7Friendly } from '@umeme/africastalking';
import { centsText, impliedDecimalText } from '@umeme/protocol';

export type SmsLanguage = 'en' | 'sw';

/** What customer notices say (SMS and web push). */
export type NoticeMessage =
  | {
      kind: 'receipt';
      meterNo: string;
      account: string;
      amountCents: number;
      energyMwh: number;
      balanceMwh: number;
      receipt: string;
    }
  | { kind: 'low_balance'; meterNo: string; account: string; balanceMwh: number }
  | { kind: 'predicted_low'; meterNo: string; account: string; balanceMwh: number; hoursLeft: number }
  | { kind: 'supply_cut'; meterNo: string; account: string }
  | { kind: 'supply_restored'; meterNo: string; balanceMwh: number }
  | { kind: 'operator_disconnect'; meterNo: string; reason: string }
  | { kind: 'topup_approved'; meterNo: string; amountCents: number; balanceMwh: number }
  | { kind: 'topup_rejected'; meterNo: string; amountCents: number; reason: string }
  | { kind: 'emergency_credit'; meterNo: string; energyMwh: number; debtCents: number };
export type NoticeKind = NoticeMessage['kind'];

/** Every SMS: the notices, and a password-reset code (a secret: the operators' SMS list hides its body). */
export type SmsMessage = NoticeMessage | { kind: 'password_reset'; code: string; validMinutes: number };

export type SmsKind = SmsMessage['kind'];

/** Not sent during quiet hours: they can wait for the morning. */
export const NON_URGENT_SMS: ReadonlySet<SmsKind> = new Set(['low_balance', 'predicted_low']);

/** kWh to two decimals, half away from zero, from mWh. */
export function kwhText(mwh: number): string {
  const tenWh = Math.floor((Math.abs(mwh) + 5_000) / 10_000);
  return impliedDecimalText(mwh < 0 ? -tenWh : tenWh, 2);
}

const kes = (cents: number): string => `KES ${centsText(cents)}`;

type Texts = { [K in SmsKind]: (m: Extract<SmsMessage, { kind: K }>, paybill: string) => string };

/** `{reason}` in a template is the one part that may be shortened. */
const EN: Texts = {
  receipt: (m) =>
    `Umeme: paid ${kes(m.amountCents)} for meter ${m.meterNo}: ${kwhText(m.energyMwh)} kWh. ` +
    `Balance ${kwhText(m.balanceMwh)} kWh. M-Pesa ${m.receipt}. Account ${m.account}.`,
  low_balance: (m, paybill) =>
    `Umeme: meter ${m.meterNo} has ${kwhText(m.balanceMwh)} kWh left. ` +
    `Buy via paybill ${paybill}, account ${m.account}.`,
  predicted_low: (m, paybill) =>
    `Umeme: meter ${m.meterNo} has about ${hours(m.hoursLeft, 'en')} of power left ` +
    `(${kwhText(m.balanceMwh)} kWh). Paybill ${paybill}, account ${m.account}.`,
  supply_cut: (m, paybill) =>
    `Umeme: power on meter ${m.meterNo} is off, the credit is used up. ` +
    `Pay via paybill ${paybill}, account ${m.account} to turn it back on.`,
  supply_restored: (m) =>
    `Umeme: power on meter ${m.meterNo} is back on. Balance ${kwhText(m.balanceMwh)} kWh.`,
  operator_disconnect: (m) => `Umeme: your operator turned off meter ${m.meterNo}: {reason}`,
  topup_approved: (m) =>
    `Umeme: your top-up of ${kes(m.amountCents)} for meter ${m.meterNo} was approved. ` +
    `Balance ${kwhText(m.balanceMwh)} kWh.`,
  topup_rejected: (m) =>
    `Umeme: your top-up of ${kes(m.amountCents)} for meter ${m.meterNo} was not approved: {reason}`,
  emergency_credit: (m) =>
    `Umeme: emergency credit of ${kwhText(m.energyMwh)} kWh on meter ${m.meterNo}. ` +
    `Debt ${kes(m.debtCents)}, repaid from your next purchase.`,
  password_reset: (m) =>
    `Umeme: your password reset code is ${m.code}. It works for ${m.validMinutes} minutes. ` +
    `If you did not ask for it, ignore this message.`,
};

const SW: Texts = {
  receipt: (m) =>
    `Umeme: umelipa ${kes(m.amountCents)} kwa mita ${m.meterNo}: kWh ${kwhText(m.energyMwh)}. ` +
    `Salio kWh ${kwhText(m.balanceMwh)}. M-Pesa ${m.receipt}. Akaunti ${m.account}.`,
  low_balance: (m, paybill) =>
    `Umeme: mita ${m.meterNo} imebaki na kWh ${kwhText(m.balanceMwh)}. ` +
    `Nunua kwa paybill ${paybill}, akaunti ${m.account}.`,
  predicted_low: (m, paybill) =>
    `Umeme: mita ${m.meterNo} ina umeme wa takriban ${hours(m.hoursLeft, 'sw')} ` +
    `(kWh ${kwhText(m.balanceMwh)}). Paybill ${paybill}, akaunti ${m.account}.`,
  supply_cut: (m, paybill) =>
    `Umeme: umeme wa mita ${m.meterNo} umekatika, salio limekwisha. ` +
    `Lipa kwa paybill ${paybill}, akaunti ${m.account} kuurudisha.`,
  supply_restored: (m) => `Umeme: umeme wa mita ${m.meterNo} umerudi. Salio kWh ${kwhText(m.balanceMwh)}.`,
  operator_disconnect: (m) => `Umeme: mhudumu amezima mita ${m.meterNo}: {reason}`,
  topup_approved: (m) =>
    `Umeme: ombi lako la ${kes(m.amountCents)} kwa mita ${m.meterNo} limekubaliwa. ` +
    `Salio kWh ${kwhText(m.balanceMwh)}.`,
  topup_rejected: (m) =>
    `Umeme: ombi lako la ${kes(m.amountCents)} kwa mita ${m.meterNo} limekataliwa: {reason}`,
  emergency_credit: (m) =>
    `Umeme: mkopo wa dharura wa kWh ${kwhText(m.energyMwh)} kwa mita ${m.meterNo}. ` +
    `Deni ${kes(m.debtCents)}, litalipwa kutoka ununuzi wako ujao.`,
  password_reset: (m) =>
    `Umeme: nambari yako ya kubadilisha nenosiri ni ${m.code}. Inafanya kazi kwa dakika ${m.validMinutes}. ` +
    `Kama hukuiomba, puuza ujumbe huu.`,
};

function hours(h: number, lang: SmsLanguage): string {
  if (lang === 'sw') return `saa ${h}`;
  return h === 1 ? '1 hour' : `${h} hours`;
}

/**
 * The message's text. A `{reason}` (operator's words) is made GSM-7 friendly and shortened
 * with "..." so the whole stays one message; fixed parts are never cut.
 */
export function renderSms(message: SmsMessage, lang: SmsLanguage, paybill: string): string {
  const texts = lang === 'sw' ? SW : EN;
  const template = (texts[message.kind] as (m: SmsMessage, p: string) => string)(message, paybill);
  if (!template.includes('{reason}')) return template;
  const reason = toGsm7Friendly('reason' in message ? message.reason.trim() : '').replace(/\s+/g, ' ');
  return fitReason(template, reason.endsWith('.') || reason === '' ? reason : `${reason}.`);
}

function fitReason(template: string, reason: string): string {
  const whole = template.replace('{reason}', reason);
  if (smsLength(whole).parts <= 1) return whole;
  // Cut the reason a character at a time (an extension character counts two, a non-GSM one
  // makes the whole text UCS-2, so measure rather than count).
  let cut = reason;
  while (cut.length > 0) {
    cut = cut.slice(0, -1).trimEnd();
    const candidate = template.replace('{reason}', `${cut}...`);
    if (smsLength(candidate).units <= SMS_SINGLE_GSM7 && smsLength(candidate).parts === 1) return candidate;
  }
  return template.replace('{reason}', '...');
}
