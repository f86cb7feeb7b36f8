/**
 * The USSD menu (issue 18 §2) as a function of the answers so far. USSD is stateless on our
 * side: every callback carries the whole `*`-joined path, so the screen to show is recomputed
 * from it, and the only effects (a purchase prompt, emergency credit, the language) happen at
 * the one step that confirms them, keyed by the gateway's session id so a repeated callback
 * does them once. Replies fit the 182 characters a handset shows.
 */
import { MAX_USSD_REPLY_CHARS, ussdReply } from '@umeme/africastalking';
import { centsText } from '@umeme/protocol';
import { kwhText, type SmsLanguage } from '../sms/sms-texts';

export const USSD_MIN_KES = 10;
export const USSD_MAX_KES = 150_000;
/** The most meters listed on one screen. */
export const USSD_MAX_METERS = 5;
/** A session deeper than this is someone typing at random: it ends. */
export const USSD_MAX_ANSWERS = 8;

export interface UssdMeter {
  meterNo: string;
  /** The paybill account number shown for M-Pesa. */
  account: string;
  balanceMwh: number;
  /** About how many hours the credit lasts at recent use, when known. */
  hoursLeft: number | null;
  /** Emergency credit the meter may take now, in mWh; 0 when none is offered. */
  emergencyMwh: number;
}

export interface UssdCaller {
  userId: string;
  lang: SmsLanguage;
  meters: UssdMeter[];
}

export interface UssdPurchase {
  atMs: number;
  amountCents: number;
  energyMwh: number;
}

/** What the menu may do; the server implements these over its services. */
export interface UssdPorts {
  /** The customer whose phone this is, or null when the number is not registered. */
  caller(phone: string): Promise<UssdCaller | null>;
  purchases(caller: UssdCaller, meterNo: string, limit: number): Promise<UssdPurchase[]>;
  /** Starts an M-Pesa prompt to the caller's own phone. Resolves to an error text to show, or null. */
  buy(caller: UssdCaller, meterNo: string, amountKes: number, sessionId: string): Promise<string | null>;
  /** Takes emergency credit. Resolves to an error text to show, or null. */
  emergency(caller: UssdCaller, meterNo: string, sessionId: string): Promise<string | null>;
  setLanguage(caller: UssdCaller, lang: SmsLanguage): Promise<void>;
}

const T = {
  en: {
    main: 'Umeme\n1. Balance\n2. Buy electricity\n3. Last purchases\n4. Emergency credit\n5. Language/Lugha',
    unknown:
      'This number is not registered with Umeme. Ask your operator to register it, or sign up in the Umeme app.',
    noMeter: 'You have no meter yet. Ask your operator to connect one.',
    chooseMeter: 'Choose a meter',
    invalid: 'Invalid choice. Dial again.',
    tooLong: 'Session ended. Dial again.',
    balance: (m: UssdMeter) =>
      `Meter ${m.meterNo}: ${kwhText(m.balanceMwh)} kWh left` +
      (m.hoursLeft === null ? '.' : `, about ${m.hoursLeft === 1 ? '1 hour' : `${m.hoursLeft} hours`}.`) +
      ` Paybill account ${m.account}.`,
    amount: `Amount in KES (${USSD_MIN_KES}-${USSD_MAX_KES}):`,
    badAmount: `Enter whole shillings from ${USSD_MIN_KES} to ${USSD_MAX_KES}. Dial again.`,
    confirmBuy: (kes: number, m: UssdMeter) => `Pay KES ${kes} for meter ${m.meterNo}?\n1. Yes\n2. No`,
    prompted: 'Check your phone for the M-Pesa prompt and enter your PIN.',
    cancelled: 'Cancelled.',
    none: 'No purchases yet.',
    purchase: (p: UssdPurchase) =>
      `${dayMonth(p.atMs)} KES ${centsText(p.amountCents)} ${kwhText(p.energyMwh)}kWh`,
    noEmergency: 'Emergency credit is not available for this meter now.',
    confirmEmergency: (m: UssdMeter) =>
      `Take ${kwhText(m.emergencyMwh)} kWh emergency credit on ${m.meterNo}? It is repaid from your next purchase.\n1. Yes\n2. No`,
    emergencyDone: 'Emergency credit added. It is repaid from your next purchase.',
    language: '1. English\n2. Kiswahili',
    languageSet: 'Language set to English.',
  },
  sw: {
    main: 'Umeme\n1. Salio\n2. Nunua umeme\n3. Ununuzi wa karibuni\n4. Mkopo wa dharura\n5. Lugha/Language',
    unknown:
      'Nambari hii haijasajiliwa na Umeme. Mwombe mhudumu wako aisajili, au jisajili kwenye programu ya Umeme.',
    noMeter: 'Bado huna mita. Mwombe mhudumu wako akuunganishe.',
    chooseMeter: 'Chagua mita',
    invalid: 'Chaguo si sahihi. Piga tena.',
    tooLong: 'Kipindi kimeisha. Piga tena.',
    balance: (m: UssdMeter) =>
      `Mita ${m.meterNo}: kWh ${kwhText(m.balanceMwh)} zimebaki` +
      (m.hoursLeft === null ? '.' : `, takriban saa ${m.hoursLeft}.`) +
      ` Akaunti ya paybill ${m.account}.`,
    amount: `Kiasi kwa KES (${USSD_MIN_KES}-${USSD_MAX_KES}):`,
    badAmount: `Weka shilingi kamili kati ya ${USSD_MIN_KES} na ${USSD_MAX_KES}. Piga tena.`,
    confirmBuy: (kes: number, m: UssdMeter) => `Lipa KES ${kes} kwa mita ${m.meterNo}?\n1. Ndiyo\n2. Hapana`,
    prompted: 'Angalia simu yako kwa ombi la M-Pesa na uweke PIN yako.',
    cancelled: 'Imeghairiwa.',
    none: 'Bado hujanunua.',
    purchase: (p: UssdPurchase) =>
      `${dayMonth(p.atMs)} KES ${centsText(p.amountCents)} kWh${kwhText(p.energyMwh)}`,
    noEmergency: 'Mkopo wa dharura haupatikani kwa mita hii sasa.',
    confirmEmergency: (m: UssdMeter) =>
      `Chukua mkopo wa dharura wa kWh ${kwhText(m.emergencyMwh)} kwa ${m.meterNo}? Utalipwa kutoka ununuzi ujao.\n1. Ndiyo\n2. Hapana`,
    emergencyDone: 'Mkopo wa dharura umeongezwa. Utalipwa kutoka ununuzi wako ujao.',
    language: '1. English\n2. Kiswahili',
    languageSet: 'Lugha imewekwa Kiswahili.',
  },
} as const;

function dayMonth(atMs: number): string {
  // Nairobi time, day/month: the handset shows no year on a three-line list.
  const d = new Date(atMs + 3 * 3_600_000);
  return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const con = (text: string) => ussdReply('CON', text.slice(0, MAX_USSD_REPLY_CHARS - 4));
const end = (text: string) => ussdReply('END', text.slice(0, MAX_USSD_REPLY_CHARS - 4));

/** The reply for a callback: `CON …` or `END …`. Never throws for any input. */
export async function ussdStep(
  ports: UssdPorts,
  call: { sessionId: string; phoneNumber: string; answers: string[] },
): Promise<string> {
  const caller = await ports.caller(call.phoneNumber);
  if (caller === null) return end(T.en.unknown);
  const t = T[caller.lang];
  const a = call.answers;
  if (a.length > USSD_MAX_ANSWERS) return end(t.tooLong);
  if (a.length === 0) return con(t.main);
  const choice = a[0];
  if (choice === '5') {
    if (a.length === 1) return con(t.language);
    const lang = a[1] === '1' ? 'en' : a[1] === '2' ? 'sw' : null;
    if (lang === null) return end(t.invalid);
    await ports.setLanguage(caller, lang);
    return end(T[lang].languageSet);
  }
  if (!['1', '2', '3', '4'].includes(choice ?? '')) return end(t.invalid);
  if (caller.meters.length === 0) return end(t.noMeter);

  // Steps after the first may begin with a meter choice when the caller has several.
  const meters = caller.meters.slice(0, USSD_MAX_METERS);
  let rest = a.slice(1);
  let meter: UssdMeter;
  if (meters.length === 1) {
    meter = meters[0]!;
  } else {
    if (rest.length === 0) {
      return con(`${t.chooseMeter}\n${meters.map((m, i) => `${i + 1}. ${m.meterNo}`).join('\n')}`);
    }
    const index = Number(rest[0]);
    if (!/^[1-9]$/.test(rest[0]!) || index > meters.length) return end(t.invalid);
    meter = meters[index - 1]!;
    rest = rest.slice(1);
  }

  switch (choice) {
    case '1':
      return end(t.balance(meter));
    case '3': {
      const list = await ports.purchases(caller, meter.meterNo, 3);
      return end(list.length === 0 ? t.none : list.map(t.purchase).join('\n'));
    }
    case '2': {
      if (rest.length === 0) return con(t.amount);
      const kes = /^\d{1,6}$/.test(rest[0]!) ? Number(rest[0]) : NaN;
      if (!(kes >= USSD_MIN_KES && kes <= USSD_MAX_KES)) return end(t.badAmount);
      if (rest.length === 1) return con(t.confirmBuy(kes, meter));
      if (rest[1] !== '1') return end(t.cancelled);
      const error = await ports.buy(caller, meter.meterNo, kes, call.sessionId);
      return end(error ?? t.prompted);
    }
    case '4':
    case undefined:
    default: {
      if (meter.emergencyMwh <= 0) return end(t.noEmergency);
      if (rest.length === 0) return con(t.confirmEmergency(meter));
      if (rest[0] !== '1') return end(t.cancelled);
      const error = await ports.emergency(caller, meter.meterNo, call.sessionId);
      return end(error ?? t.emergencyDone);
    }
  }
}
