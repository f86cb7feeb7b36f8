/**
 * What queues an SMS: listeners on the after-commit domain events, each naming its cause in the
 * message's key (`receipt:<transaction>`, `supply_cut:<alert>`…), so an event seen twice (a
 * callback delivered a hundred times, a repeated alert evaluation) queues one message. Events
 * that concern no customer with a phone queue nothing.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/db';
import type { AlertChanged, EventBus, MeterChanged, TopupProcessed } from '../shared/events';
import type { SmsOutbox } from './sms-outbox';
import type { SmsLanguage, SmsMessage } from './sms-texts';

/** A meter's owner as an SMS needs them. */
interface Recipient {
  user_id: string;
  phone: string;
  locale: string;
  balance_mwh: number;
}

const RECIPIENT_SQL = `SELECT u.id AS user_id, u.phone, u.locale, (m.credit_limit_mwh - m.energy_mwh)::bigint AS balance_mwh
  FROM meters m JOIN users u ON u.id = m.user_id
  WHERE m.meter_no = $1 AND u.phone IS NOT NULL AND u.disabled_at IS NULL`;

/** Credits that tell the customer something: purchases (STK, paybill) and the emergency advance. */
const TRANSACTION_CAUSES: ReadonlySet<string> = new Set(['payment', 'paybill', 'adjustment']);
const ALERT_KINDS: ReadonlySet<string> = new Set(['low_balance', 'predicted_low', 'zero_balance']);

export const smsLanguage = (locale: string): SmsLanguage => (locale === 'sw' ? 'sw' : 'en');

/** M-Pesa's receipt number from a credit's external reference (`MPESA-…`, `C2B-…`). */
function receiptNumber(externalRef: string | null): string {
  return (externalRef ?? '').replace(/^(MPESA|C2B)-/, '') || '-';
}

export class SmsNotices {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly outbox: SmsOutbox,
    private readonly logger: Logger,
    /** called after something was queued: send soon rather than at the next tick */
    private readonly queued: () => void,
  ) {}

  listen(bus: EventBus): void {
    // Consumption reports are most events: they are passed over here, before any work.
    bus.on('meter_changed', (e) => {
      if (e.transactionId !== undefined && TRANSACTION_CAUSES.has(e.cause)) {
        this.track(() => this.onMeterChanged(e));
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

  private track(work: () => Promise<void>): void {
    const p = work().catch((err: unknown) =>
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'queuing an SMS failed'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async onMeterChanged(e: MeterChanged): Promise<void> {
    if (e.transactionId === undefined) return;
    const purchase = e.cause === 'payment' || e.cause === 'paybill';
    if (!purchase && e.cause !== 'adjustment') return;
    const { rows } = await this.db.query<{
      source: string;
      external_ref: string | null;
      debt_cents: string | null;
    }>(`SELECT source, external_ref, receipt->>'debtCents' AS debt_cents FROM transactions WHERE id = $1`, [
      e.transactionId,
    ]);
    const t = rows[0];
    if (!t) return;
    if (purchase) {
      await this.notify(e.meterNo, `receipt:${e.transactionId}`, () => ({
        kind: 'receipt',
        meterNo: e.meterNo,
        account: e.meterNo,
        amountCents: e.amountCents ?? 0,
        energyMwh: e.energyDeltaMwh ?? 0,
        balanceMwh: e.balanceMwh,
        receipt: receiptNumber(t.external_ref),
      }));
    } else if (t.source === 'emergency') {
      await this.notify(e.meterNo, `emergency:${e.transactionId}`, () => ({
        kind: 'emergency_credit',
        meterNo: e.meterNo,
        energyMwh: e.energyDeltaMwh ?? 0,
        debtCents: Number(t.debt_cents ?? 0),
      }));
    }
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
          ? { kind: 'supply_cut', meterNo: m, account: m }
          : { kind: 'supply_restored', meterNo: m, balanceMwh: Number(r.balance_mwh) },
      );
    } else if (kind === 'low_balance') {
      await this.notify(m, `low_balance:${alertId}`, (r) => ({
        kind: 'low_balance',
        meterNo: m,
        account: m,
        balanceMwh: Number(r.balance_mwh),
      }));
    } else {
      await this.notify(m, `predicted_low:${alertId}`, (r) => ({
        kind: 'predicted_low',
        meterNo: m,
        account: m,
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

  /** Queues the message to the meter's owner, if the meter has one with a phone. */
  private async notify(
    meterNo: string,
    dedupeKey: string,
    build: (r: Recipient) => SmsMessage,
  ): Promise<void> {
    const { rows } = await this.db.query<Recipient>(RECIPIENT_SQL, [meterNo]);
    const r = rows[0];
    if (!r) return;
    const queued = await this.outbox.enqueue(this.db, {
      dedupeKey,
      userId: r.user_id,
      meterNo,
      phone: r.phone,
      lang: smsLanguage(r.locale),
      message: build(r),
    });
    if (queued) this.queued();
  }
}
