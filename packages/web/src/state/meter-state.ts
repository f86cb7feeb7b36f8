import {
  isOnlineStatus,
  type BalanceUpdated,
  type MeterSnapshot,
  type SupplyDecision,
} from '@umeme/protocol';
import type { ApiMeter } from '../api/api-types';
import { epochToMs, isoToMs } from './format';

/** What the dashboard knows about one meter. kWh are for display only (docs/design.md §2). */
export interface MeterView {
  meterNo: string;
  /** paybill account number (from HTTP; the live snapshot does not carry it) */
  accountNo: string | null;
  ownerName: string | null;
  balanceKwh: number;
  creditLimitKwh: number;
  energyTotalKwh: number;
  relay: 'on' | 'off';
  status: string;
  lastSeenMs: number | null;
  powerW: number | null;
  /** The meter's event sequence number: every state change on the server adds one. */
  seq: number;
  lowBalanceKwh: number;
  /** The server's relay decision and why (docs/web.md): null until the server sent one. */
  supply: SupplyDecision | null;
  /** the customer group whose tariff prices its purchases (from HTTP, like the account number) */
  tariffGroup: string | null;
}

/** Used until the HTTP answer brings the meter's own threshold. */
export const DEFAULT_LOW_BALANCE_KWH = 2;

/**
 * How an event's sequence number relates to what we hold:
 * - `stale`: older than our state (reordered); its state must not be applied.
 * - `current`: the change we already hold (a duplicate or a companion event).
 * - `next`: the one change after ours.
 * - `gap`: newer, with changes in between that never reached us: refetch.
 */
export type SeqVerdict = 'stale' | 'current' | 'next' | 'gap';

export function classifySeq(knownSeq: number, eventSeq: number, fromSeq: number = eventSeq): SeqVerdict {
  if (eventSeq < knownSeq) return 'stale';
  if (eventSeq === knownSeq) return 'current';
  // A coalesced update stands for every change from `fromSeq` to `seq`.
  return Math.min(fromSeq, eventSeq) <= knownSeq + 1 ? 'next' : 'gap';
}

/** The fields of `GET /api/meters/:meterNo` the dashboard shows. */
type ShownMeterFields =
  | 'meterNo'
  | 'accountNo'
  | 'ownerName'
  | 'balanceKwh'
  | 'creditLimitKwh'
  | 'energyTotalKwh'
  | 'relay'
  | 'status'
  | 'lastSeen'
  | 'powerW'
  | 'seq'
  | 'lowBalanceKwh'
  | 'supply'
  | 'tariffGroup';

export function meterFromApi(m: Pick<ApiMeter, ShownMeterFields>): MeterView {
  return {
    meterNo: m.meterNo,
    accountNo: m.accountNo,
    ownerName: m.ownerName,
    balanceKwh: m.balanceKwh,
    creditLimitKwh: m.creditLimitKwh,
    energyTotalKwh: m.energyTotalKwh,
    relay: m.relay,
    status: m.status,
    lastSeenMs: isoToMs(m.lastSeen),
    powerW: m.powerW,
    seq: m.seq,
    lowBalanceKwh: m.lowBalanceKwh,
    supply: m.supply,
    tariffGroup: m.tariffGroup,
  };
}

/**
 * A full state from HTTP or `balance_initial` replaces ours unless ours is newer: an
 * event can overtake the HTTP answer it raced with.
 */
export function mergeFullState(current: MeterView | undefined, incoming: MeterView): MeterView {
  if (current && incoming.seq < current.seq) {
    // Only HTTP brings the account number and tariff group: keep them from an older answer.
    return (current.accountNo === null && incoming.accountNo !== null) ||
      (current.tariffGroup === null && incoming.tariffGroup !== null)
      ? {
          ...current,
          accountNo: current.accountNo ?? incoming.accountNo,
          tariffGroup: current.tariffGroup ?? incoming.tariffGroup,
        }
      : current;
  }
  return incoming;
}

export function meterFromSnapshot(current: MeterView | undefined, s: MeterSnapshot): MeterView {
  return {
    meterNo: s.meterNo,
    accountNo: current?.accountNo ?? null,
    ownerName: current?.ownerName ?? null,
    balanceKwh: s.balance,
    creditLimitKwh: s.creditLimit,
    energyTotalKwh: s.energyTotal,
    relay: s.relay,
    status: s.status,
    lastSeenMs: s.lastSeen === null ? (current?.lastSeenMs ?? null) : epochToMs(s.lastSeen),
    powerW: s.powerW,
    seq: s.seq,
    lowBalanceKwh: current?.lowBalanceKwh ?? DEFAULT_LOW_BALANCE_KWH,
    supply: s.supply ?? current?.supply ?? null,
    tariffGroup: current?.tariffGroup ?? null,
  };
}

export interface EventOutcome {
  meter: MeterView;
  verdict: SeqVerdict;
  /** Energy this event adds to the usage chart, in kWh (0 for credits and duplicates). */
  consumedKwh: number;
}

export function applyBalanceUpdated(m: MeterView, e: BalanceUpdated): EventOutcome {
  const verdict = classifySeq(m.seq, e.seq, e.fromSeq);
  if (verdict === 'stale') return { meter: m, verdict, consumedKwh: 0 };
  const isConsumption = e.transactionType === 'consumption';
  const energyTotalKwh =
    e.energyTotal ??
    (isConsumption ? m.energyTotalKwh + Math.max(0, e.previousBalance - e.newBalance) : m.energyTotalKwh);
  const consumedKwh = isConsumption ? Math.max(0, energyTotalKwh - m.energyTotalKwh) : 0;
  let lastSeenMs = m.lastSeenMs;
  if (e.lastSeen !== undefined && e.lastSeen !== null) lastSeenMs = epochToMs(e.lastSeen);
  else if (e.lastSeen === undefined && isConsumption) lastSeenMs = epochToMs(e.timestamp);
  // A consumption report is the meter speaking: it is online whatever we last heard.
  const status = e.status ?? (isConsumption && !isOnlineStatus(m.status) ? 'online' : m.status);
  return {
    verdict,
    consumedKwh,
    meter: {
      ...m,
      balanceKwh: e.newBalance,
      energyTotalKwh,
      // C − E = balance (docs/design.md §3)
      creditLimitKwh: e.creditLimit ?? e.newBalance + energyTotalKwh,
      powerW: e.powerW === undefined ? m.powerW : e.powerW,
      relay: e.relay ?? m.relay,
      lastSeenMs,
      status,
      seq: Math.max(m.seq, e.seq),
      supply: e.supply ?? m.supply,
    },
  };
}

interface MeterStatusEvent {
  meterNo: string;
  seq: number;
  status: string;
  relay?: 'on' | 'off' | undefined;
  lastSeen: number | null;
}

export function applyMeterStatus(m: MeterView, e: MeterStatusEvent): EventOutcome {
  const verdict = classifySeq(m.seq, e.seq);
  if (verdict === 'stale') return { meter: m, verdict, consumedKwh: 0 };
  return {
    verdict,
    consumedKwh: 0,
    meter: {
      ...m,
      status: e.status,
      relay: e.relay ?? m.relay,
      lastSeenMs: e.lastSeen === null ? m.lastSeenMs : epochToMs(e.lastSeen),
      seq: Math.max(m.seq, e.seq),
    },
  };
}

/** Events that carry no meter state still tell us whether we missed some. */
export function missedBefore(m: MeterView, eventSeq: number): boolean {
  return eventSeq > m.seq + 1;
}

export function crossedBelow(previousKwh: number, nextKwh: number, thresholdKwh: number): boolean {
  return previousKwh > thresholdKwh && nextKwh <= thresholdKwh;
}

export function isOnline(m: Pick<MeterView, 'status'>): boolean {
  return isOnlineStatus(m.status);
}

/**
 * Whether the load is on, as the dashboard shows it: the server's decision when it sent one (it
 * moves the moment a payment or an operator's command commits, and covers meters that never
 * report their relay), else what the meter last reported.
 */
export function shownRelay(m: Pick<MeterView, 'relay' | 'supply'>): 'on' | 'off' {
  return m.supply?.relay ?? m.relay;
}

/** An emergency advance may be taken at zero balance with no debt outstanding (the server's rule). */
export function emergencyOffered(m: Pick<MeterView, 'balanceKwh' | 'supply'>): boolean {
  return m.balanceKwh <= 0 && (m.supply?.debt ?? 0) === 0;
}
