/**
 * Which domain events become web push notices, and their words. The text is the SMS text for the
 * same cause (sms-texts.ts) in the language the browser opted in with, so a customer reads the
 * same thing on a feature phone and in the browser; the notification's title names the kind.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import { renderSms, type SmsLanguage, type SmsMessage } from '../sms/sms-texts';
import type { PushKind } from './push.schema';
import type { PushNotice, PushService } from './push.service';

const TITLES: Record<PushKind, Record<SmsLanguage, string>> = {
  receipt: { en: 'Payment received', sw: 'Malipo yamepokelewa' },
  low_balance: { en: 'Low balance', sw: 'Salio la chini' },
  predicted_low: { en: 'Credit running out', sw: 'Salio linakwisha' },
  supply_cut: { en: 'Power is off', sw: 'Umeme umekatwa' },
  supply_restored: { en: 'Power is back on', sw: 'Umeme umerudi' },
  payment_failed: { en: 'Payment not completed', sw: 'Malipo hayakukamilika' },
};

const FAILED_TEXT: Record<SmsLanguage, (meterNo: string, reason: string) => string> = {
  en: (meterNo, reason) => `Your payment for meter ${meterNo} did not go through: ${reason}`,
  sw: (meterNo, reason) => `Malipo yako ya mita ${meterNo} hayakufaulu: ${reason}`,
};

/** The SMS text without its "Umeme: " lead, which the notification's app name already says. */
const bodyOf = (message: SmsMessage, lang: SmsLanguage, paybill: string): string =>
  renderSms(message, lang, paybill).replace(/^Umeme:\s*/, '');

export function noticeFor(
  kind: PushKind,
  lang: SmsLanguage,
  meterNo: string,
  body: string,
  tagSuffix = '',
): PushNotice {
  return {
    kind,
    title: TITLES[kind][lang],
    body,
    tag: `${kind}-${meterNo}${tagSuffix}`,
    url: `/meters/${encodeURIComponent(meterNo)}`,
  };
}

/**
 * Listens on the bus (events come after commit, on the instance that committed them, so each
 * cause is pushed once) and hands each notice to the push service. Reads what the event does not
 * carry (a balance, an M-Pesa receipt number) with one query.
 */
export function listenForPushNotices(opts: {
  bus: EventBus;
  db: Db;
  push: PushService;
  paybill: string;
  logger: Logger;
}): { close: () => Promise<void>; idle: () => Promise<void> } {
  const { bus, db, push, paybill, logger } = opts;
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const p = work.catch((err: unknown) => logger.warn({ err }, 'push: preparing a notice failed'));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const balanceOf = async (meterNo: string): Promise<number> => {
    const { rows } = await db.query<{ balance: number }>(
      `SELECT credit_limit_mwh - energy_mwh AS balance FROM meters WHERE meter_no = $1`,
      [meterNo],
    );
    return Number(rows[0]?.balance ?? 0);
  };

  const onAlert: Parameters<typeof bus.on<'alert_changed'>>[1] = (a) => {
    const userId = a.userId;
    if (!userId) return;
    const meterNo = a.meterNo;
    const account = meterNo;
    if (a.kind === 'low_balance' && a.open) {
      track(
        balanceOf(meterNo).then((balanceMwh) =>
          push.notify(userId, 'low_balance', (lang) =>
            noticeFor(
              'low_balance',
              lang,
              meterNo,
              bodyOf({ kind: 'low_balance', meterNo, account, balanceMwh }, lang, paybill),
            ),
          ),
        ),
      );
    } else if (a.kind === 'predicted_low' && a.open && a.hoursLeft !== undefined) {
      const hoursLeft = a.hoursLeft;
      track(
        balanceOf(meterNo).then((balanceMwh) =>
          push.notify(userId, 'predicted_low', (lang) =>
            noticeFor(
              'predicted_low',
              lang,
              meterNo,
              bodyOf({ kind: 'predicted_low', meterNo, account, balanceMwh, hoursLeft }, lang, paybill),
            ),
          ),
        ),
      );
    } else if (a.kind === 'zero_balance') {
      if (a.open) {
        track(
          push.notify(userId, 'supply_cut', (lang) =>
            noticeFor(
              'supply_cut',
              lang,
              meterNo,
              bodyOf({ kind: 'supply_cut', meterNo, account }, lang, paybill),
            ),
          ),
        );
      } else {
        track(
          balanceOf(meterNo).then((balanceMwh) =>
            push.notify(userId, 'supply_restored', (lang) =>
              noticeFor(
                'supply_restored',
                lang,
                meterNo,
                bodyOf({ kind: 'supply_restored', meterNo, balanceMwh }, lang, paybill),
              ),
            ),
          ),
        );
      }
    }
  };

  const onPaid: Parameters<typeof bus.on<'payment_succeeded'>>[1] = (p) => {
    track(
      (async () => {
        const { rows } = await db.query<{
          amount_cents: number;
          energy_mwh: number;
          balance: number;
          mpesa_receipt: string | null;
        }>(
          `SELECT t.amount_cents, t.energy_mwh, m.credit_limit_mwh - m.energy_mwh AS balance,
                  (SELECT i.mpesa_receipt FROM payment_intents i WHERE i.id = $2::uuid) AS mpesa_receipt
             FROM transactions t JOIN meters m ON m.meter_no = t.meter_no
            WHERE t.id = $1::uuid`,
          [p.transactionId, p.intentId],
        );
        const row = rows[0];
        if (!row) return;
        const message: SmsMessage = {
          kind: 'receipt',
          meterNo: p.meterNo,
          account: p.meterNo,
          amountCents: Number(row.amount_cents),
          energyMwh: Number(row.energy_mwh),
          balanceMwh: Number(row.balance),
          receipt: row.mpesa_receipt ?? '-',
        };
        await push.notify(p.userId, 'receipt', (lang) =>
          noticeFor('receipt', lang, p.meterNo, bodyOf(message, lang, paybill), `-${p.transactionId}`),
        );
      })(),
    );
  };

  const onFailed: Parameters<typeof bus.on<'payment_failed'>>[1] = (f) => {
    track(
      push.notify(f.userId, 'payment_failed', (lang) =>
        noticeFor(
          'payment_failed',
          lang,
          f.meterNo,
          FAILED_TEXT[lang](f.meterNo, f.reason),
          `-${f.intentId}`,
        ),
      ),
    );
  };

  bus.on('alert_changed', onAlert);
  bus.on('payment_succeeded', onPaid);
  bus.on('payment_failed', onFailed);
  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    idle,
    close: async () => {
      bus.off('alert_changed', onAlert);
      bus.off('payment_succeeded', onPaid);
      bus.off('payment_failed', onFailed);
      await idle();
    },
  };
}
