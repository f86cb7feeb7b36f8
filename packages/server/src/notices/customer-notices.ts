/**
 * What a customer is told, and when (issue 18): listeners on the after-commit domain events turn
 * them into notices (a receipt, low balance, power cut and restored, an operator's disconnect, a
 * top-up decided, emergency credit), each naming its cause in its key (`receipt:<transaction>`,
 * `supply_cut:<alert>`…), and hand each to every channel: the SMS outbox, whose key makes an event
 * seen twice (a callback delivered a hundred times, a repeated alert evaluation) one message, and
 * web push. Events that concern no customer tell nobody.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/db';
import { ACCOUNT_NO_SQL } from '../meters/account-no';
import type { AlertChanged, EventBus, MeterChanged, TopupProcessed } from '../shared/events';
import type { NoticeMessage, SmsLanguage } from '../sms/sms-texts';

/** A meter's owner as a notice needs them. */
interface Recipient {
  user_id: string;
  /** the meter's paybill account number (issue 17: the meter number when it fits) */
  account_no: string;
  phone: string | null;
  locale: string;
  balance_mwh: number;
}

/** One thing to tell one customer, in their words (the SMS texts are every channel's words). */
export interface CustomerNotice {
  /** the cause: one notice per key, however often its event is seen */
  dedupeKey: string;
  userId: string;
  meterNo: string;
  /** the registered phone, null when the customer has none */
  phone: string | null;
  /** the customer's language for messages */
  lang: SmsLanguage;
  message: NoticeMessage;
}

/** Delivers notices (queues SMS, sends pushes); a channel skips those it does not apply to. */
export type NoticeChannel = (notices: readonly CustomerNotice[]) => Promise<void>;

/** A `Recipient` from meters `m` joined to their owners `u`. */
const RECIPIENT_COLUMNS = `u.id AS user_id, ${ACCOUNT_NO_SQL} AS account_no, u.phone, u.locale, (m.credit_limit_mwh - m.energy_mwh)::bigint AS balance_mwh`;

const RECIPIENT_SQL = `SELECT ${RECIPIENT_COLUMNS}
  FROM meters m JOIN users u ON u.id = m.user_id
  WHERE m.meter_no = $1 AND u.disabled_at IS NULL`;

/** Credits that tell the customer something: purchases (STK, paybill) and the emergency advance. */
const TRANSACTION_CAUSES: ReadonlySet<string> = new Set(['payment', 'paybill', 'adjustment']);
const ALERT_KINDS: ReadonlySet<string> = new Set(['low_balance', 'predicted_low', 'zero_balance']);

export const smsLanguage = (locale: string): SmsLanguage => (locale === 'sw' ? 'sw' : 'en');

/** M-Pesa's receipt number from a credit's external reference (`MPESA-…`, `C2B-…`). */
function receiptNumber(externalRef: string | null): string {
  return (externalRef ?? '').replace(/^(MPESA|C2B)-/, '') || '-';
}

/** Notices prepared and handed to the channels at once, at most: each holds a database connection. */
export const NOTICES_AT_ONCE = 2;

/**
 * Credits' notices prepared together, at most. A burst of payments (1,000 a second in
 * bench/payments.ts) would otherwise take three queries per receipt; a batch takes three.
 */
const CREDIT_NOTICES_PER_BATCH = 200;

/**
 * How long the first credit of a batch waits for others to join it. Without the wait, a batch
 * was taken as soon as a turn was free: at 1,000 payments a second that was about seven credits
 * a batch, three statements each. A receipt 100 ms later is no later for its customer.
 */
const CREDIT_NOTICES_GATHER_MS = 100;

const CREDIT_NOTICES_SQL = `SELECT x.n::int AS n, t.source, t.external_ref, t.receipt->>'debtCents' AS debt_cents,
       ${RECIPIENT_COLUMNS}
  FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS x(transaction_id, meter_no, n)
  JOIN transactions t ON t.id = x.transaction_id
  JOIN meters m ON m.meter_no = x.meter_no
  JOIN users u ON u.id = m.user_id
 WHERE u.disabled_at IS NULL
 ORDER BY x.n`;

export class CustomerNotices {
  private readonly inFlight = new Set<Promise<void>>();
  /** notices being prepared now; the rest wait their turn (see NOTICES_AT_ONCE) */
  private running = 0;
  private readonly turns: (() => void)[] = [];
  private readonly channels: NoticeChannel[] = [];
  private listening = false;
  /** credits whose notices are not prepared yet, in the order they committed */
  private readonly credits: (MeterChanged & { transactionId: string })[] = [];
  /** a batch of `credits` is waiting for its turn */
  private creditBatchQueued = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Adds a channel; the listeners start with the first one (no channel, no work). */
  addChannel(channel: NoticeChannel, bus: EventBus): void {
    this.channels.push(channel);
    if (!this.listening) this.listen(bus);
    this.listening = true;
  }

  private listen(bus: EventBus): void {
    // Consumption reports are most events: they are passed over here, before any work.
    bus.on('meter_changed', (e) => {
      if (e.transactionId !== undefined && TRANSACTION_CAUSES.has(e.cause)) {
        this.credits.push({ ...e, transactionId: e.transactionId });
        this.queueCreditBatch();
      }
    });
    bus.on('alert_changed', (e) => {
      if (ALERT_KINDS.has(e.kind)) this.track(() => this.onAlert(e));
    });
    bus.on('topup_processed', (e) => this.track(() => this.onTopup(e)));
    bus.on('meter_command_created', (e) => {
      if (e.kind !== 'relay' || e.action !== 'disconnect') return;
      this.track(() =>
        this.notify(e.meterNo, `disconnect:${e.commandId}`, () => ({
          kind: 'operator_disconnect',
          meterNo: e.meterNo,
          reason: e.reason,
        })),
      );
    });
  }

  /** Resolves once every event seen so far has queued its message (or failed to). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Runs `work` in its turn (after `afterMs`, when given), and keeps it in `inFlight` until done. */
  private track(work: () => Promise<void>, afterMs = 0): void {
    const turn = () => this.inTurn(work);
    const started =
      afterMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, afterMs)).then(turn) : turn();
    const p = started.catch((err: unknown) =>
      this.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'preparing a notice failed',
      ),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * Runs `work` once fewer than NOTICES_AT_ONCE others run. Ten thousand meters crossing low
   * balance at once would otherwise queue tens of thousands of queries in the database pool
   * ahead of the payments arriving meanwhile (bench/sms.ts: credit p99 206 ms → 4.7 s);
   * notices can wait a few seconds, a customer's payment should not.
   */
  private async inTurn(work: () => Promise<void>): Promise<void> {
    // A finished notice hands its turn straight to the next waiting one.
    if (this.running >= NOTICES_AT_ONCE) await new Promise<void>((resolve) => this.turns.push(resolve));
    else this.running++;
    try {
      await work();
    } finally {
      const next = this.turns.shift();
      if (next) next();
      else this.running--;
    }
  }

  /**
   * One batch for the credits that wait, once its turn comes (they keep arriving meanwhile): a
   * batch not yet full gathers for CREDIT_NOTICES_GATHER_MS first.
   */
  private queueCreditBatch(): void {
    if (this.creditBatchQueued) return;
    this.creditBatchQueued = true;
    this.track(
      async () => {
        this.creditBatchQueued = false;
        const batch = this.credits.splice(0, CREDIT_NOTICES_PER_BATCH);
        if (this.credits.length > 0) this.queueCreditBatch();
        await this.onCredits(batch);
      },
      this.credits.length >= CREDIT_NOTICES_PER_BATCH ? 0 : CREDIT_NOTICES_GATHER_MS,
    );
  }

  /** Receipts for purchases, and the emergency advance's notice, for many credits at once. */
  private async onCredits(batch: readonly (MeterChanged & { transactionId: string })[]): Promise<void> {
    if (batch.length === 0) return;
    const { rows } = await this.db.query<
      Recipient & { n: number; source: string; external_ref: string | null; debt_cents: string | null }
    >(CREDIT_NOTICES_SQL, [batch.map((e) => e.transactionId), batch.map((e) => e.meterNo)]);
    const notices = rows.flatMap((r): CustomerNotice[] => {
      const e = batch[r.n - 1]!;
      const message: NoticeMessage | null =
        e.cause === 'payment' || e.cause === 'paybill'
          ? {
              kind: 'receipt',
              meterNo: e.meterNo,
              account: r.account_no,
              amountCents: e.amountCents ?? 0,
              energyMwh: e.energyDeltaMwh ?? 0,
              balanceMwh: e.balanceMwh,
              receipt: receiptNumber(r.external_ref),
            }
          : r.source === 'emergency'
            ? {
                kind: 'emergency_credit',
                meterNo: e.meterNo,
                energyMwh: e.energyDeltaMwh ?? 0,
                debtCents: Number(r.debt_cents ?? 0),
              }
            : null;
      if (message === null) return [];
      const key = message.kind === 'receipt' ? 'receipt' : 'emergency';
      return [noticeFor(r, e.meterNo, `${key}:${e.transactionId}`, message)];
    });
    await this.deliver(notices);
  }

  private async onAlert(e: AlertChanged): Promise<void> {
    const kind = e.kind;
    if (kind !== 'low_balance' && kind !== 'predicted_low' && kind !== 'zero_balance') return;
    if (kind !== 'zero_balance' && !e.open) return;
    const { rows } = await this.db.query<{ id: string }>(
      e.open
        ? `SELECT id FROM alerts WHERE meter_no = $1 AND kind = $2 AND closed_at IS NULL ORDER BY id DESC LIMIT 1`
        : `SELECT id FROM alerts WHERE meter_no = $1 AND kind = $2 AND closed_at IS NOT NULL
            ORDER BY closed_at DESC, id DESC LIMIT 1`,
      [e.meterNo, kind],
    );
    const alertId = rows[0]?.id;
    if (alertId === undefined) return;
    const m = e.meterNo;
    if (kind === 'zero_balance') {
      await this.notify(m, `${e.open ? 'supply_cut' : 'supply_restored'}:${alertId}`, (r) =>
        e.open
          ? { kind: 'supply_cut', meterNo: m, account: r.account_no }
          : { kind: 'supply_restored', meterNo: m, balanceMwh: Number(r.balance_mwh) },
      );
    } else if (kind === 'low_balance') {
      await this.notify(m, `low_balance:${alertId}`, (r) => ({
        kind: 'low_balance',
        meterNo: m,
        account: r.account_no,
        balanceMwh: Number(r.balance_mwh),
      }));
    } else {
      await this.notify(m, `predicted_low:${alertId}`, (r) => ({
        kind: 'predicted_low',
        meterNo: m,
        account: r.account_no,
        balanceMwh: Number(r.balance_mwh),
        hoursLeft: Math.max(1, e.hoursLeft ?? 1),
      }));
    }
  }

  private async onTopup(e: TopupProcessed): Promise<void> {
    await this.notify(e.meterNo, `topup:${e.topupId}`, (r) =>
      e.status === 'approved'
        ? {
            kind: 'topup_approved',
            meterNo: e.meterNo,
            amountCents: e.amountCents,
            balanceMwh: Number(r.balance_mwh),
          }
        : {
            kind: 'topup_rejected',
            meterNo: e.meterNo,
            amountCents: e.amountCents,
            reason: e.notes === '' ? 'no reason given' : e.notes,
          },
    );
  }

  /** Hands the notice for the meter's owner, if it has one, to every channel. */
  private async notify(
    meterNo: string,
    dedupeKey: string,
    build: (r: Recipient) => NoticeMessage,
  ): Promise<void> {
    const { rows } = await this.db.query<Recipient>(RECIPIENT_SQL, [meterNo]);
    const r = rows[0];
    if (r) await this.deliver([noticeFor(r, meterNo, dedupeKey, build(r))]);
  }

  private async deliver(notices: readonly CustomerNotice[]): Promise<void> {
    if (notices.length === 0) return;
    await Promise.all(
      this.channels.map((channel) =>
        channel(notices).catch((err: unknown) =>
          this.logger.error(
            {
              err: err instanceof Error ? err.message : String(err),
              keys: notices.slice(0, 5).map((n) => n.dedupeKey),
              notices: notices.length,
            },
            'a notice channel failed',
          ),
        ),
      ),
    );
  }
}

function noticeFor(r: Recipient, meterNo: string, dedupeKey: string, message: NoticeMessage): CustomerNotice {
  return { dedupeKey, userId: r.user_id, meterNo, phone: r.phone, lang: smsLanguage(r.locale), message };
}
