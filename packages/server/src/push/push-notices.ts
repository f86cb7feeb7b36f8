/**
 * Web push as a channel of the customer notices (notices/customer-notices.ts): the same causes
 * as SMS, in the SMS texts' words, in the language each browser opted in with. A notice seen
 * twice would be shown once: its tag is its cause, and a device keeps one notification per tag.
 */
import type { NoticeChannel } from '../notices/customer-notices';
import { renderSms, type SmsLanguage, type NoticeMessage } from '../sms/sms-texts';
import type { PushKind } from './push.schema';
import type { PushNotice, PushService } from './push.service';

const TITLES: Record<PushKind, Record<SmsLanguage, string>> = {
  receipt: { en: 'Payment received', sw: 'Malipo yamepokelewa' },
  low_balance: { en: 'Low balance', sw: 'Salio la chini' },
  predicted_low: { en: 'Credit running out', sw: 'Salio linakwisha' },
  supply_cut: { en: 'Power is off', sw: 'Umeme umekatwa' },
  supply_restored: { en: 'Power is back on', sw: 'Umeme umerudi' },
  operator_disconnect: { en: 'Power disconnected', sw: 'Umeme umetenganishwa' },
  topup_approved: { en: 'Top-up approved', sw: 'Kuongeza salio kumekubaliwa' },
  topup_rejected: { en: 'Top-up not approved', sw: 'Kuongeza salio kumekataliwa' },
  emergency_credit: { en: 'Emergency credit', sw: 'Salio la dharura' },
};

/** The notification for a message: its kind's title, the SMS text without its "Umeme: " lead. */
export function pushNoticeOf(
  message: NoticeMessage,
  lang: SmsLanguage,
  paybill: string,
  tag: string,
): PushNotice {
  return {
    kind: message.kind,
    title: TITLES[message.kind][lang],
    body: renderSms(message, lang, paybill).replace(/^Umeme:\s*/, ''),
    tag,
    url: `/meters/${encodeURIComponent(message.meterNo)}`,
  };
}

export function pushChannel(push: PushService, paybill: string): NoticeChannel {
  return async (notices) => {
    await push.notifyMany(
      notices.map((notice) => ({
        userId: notice.userId,
        kind: notice.message.kind,
        render: (lang: SmsLanguage) => pushNoticeOf(notice.message, lang, paybill, notice.dedupeKey),
      })),
    );
  };
}
