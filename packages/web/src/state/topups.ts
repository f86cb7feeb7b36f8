import type { Answer } from '../api/api-types';
import type { MessageKey } from '../i18n/dictionary';

/** A manual top-up request as the server lists it. */
export type TopupRow = Answer<'/transactions/topup', 'get'>['topups'][number];
export type TopupStatus = TopupRow['status'];

/** The channels a customer picks from (the server also knows a plain `cash`, shown if listed). */
export const TOPUP_CHANNEL_CHOICES = ['agent', 'bank', 'other'] as const;
export type TopupChannel = (typeof TOPUP_CHANNEL_CHOICES)[number];

export const TOPUP_MIN_KES = 1;
export const TOPUP_MAX_KES = 1_000_000;
export const TOPUP_REFERENCE_MAX_CHARS = 64;

const channelKeys: Record<string, MessageKey> = {
  agent: 'topupChannelAgent',
  bank: 'topupChannelBank',
  cash: 'topupChannelCash',
  other: 'topupChannelOther',
};

export function topupChannelKey(channel: string): MessageKey {
  return channelKeys[channel] ?? 'topupChannelOther';
}

export const topupStatusKeys: Record<TopupStatus, MessageKey> = {
  pending: 'topupPending',
  approved: 'topupApproved',
  rejected: 'topupRejected',
};

/** Whole shillings or shillings and cents, within the server's limits; otherwise null. */
export function parseTopupKes(input: string): number | null {
  const text = input.trim();
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text)) return null;
  const kes = Number(text);
  return kes >= TOPUP_MIN_KES && kes <= TOPUP_MAX_KES ? kes : null;
}
