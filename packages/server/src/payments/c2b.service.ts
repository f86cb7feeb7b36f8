import {
  c2bAccept,
  c2bConfirmationAck,
  c2bReject,
  darajaLimits,
  normalizeMsisdn,
  transAmountToCents,
  type C2bConfirmationResponse,
  type C2bTransaction,
  type C2bValidationResponse,
} from '@umeme/daraja';
import { ACCOUNT_NO_SQL } from '../meters/account-no';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { CreditService } from '../credit/credit.service';
import type { Db, Queryable, Transaction } from '../db/db';
import { SYSTEM } from '../shared/access';
import type { Metrics } from '../shared/metrics';
import { audit } from './payments.intents';

/** What became of one confirmation: credited, already seen, or money for an unknown account. */
export type C2bOutcome = 'applied' | 'duplicate' | 'orphan';

/**
 * Paybill (C2B): the account number a customer types is the meter number. The meter is found
 * by BillRefNumber only, never by phone: newer payloads mask or hash MSISDN. Confirmation is
 * idempotent on TransID, both in c2b_payments and in the credit's external reference.
 */
export class C2bService {
  private readonly outcomes: Counter<'kind' | 'outcome'>;

  constructor(
    private readonly db: Db,
    private readonly credit: CreditService,
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.outcomes = new Counter({
      name: 'umeme_c2b_requests_total',
      help: 'Paybill validations and confirmations, by outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [metrics.registry],
    });
  }

  /** Answers within Daraja's few seconds: one indexed read. */
  async validate(body: C2bTransaction): Promise<C2bValidationResponse> {
    const amountCents = transAmountToCents(body.TransAmount);
    if (amountCents === undefined || amountCents <= 0) {
      this.outcomes.inc({ kind: 'validation', outcome: 'bad_amount' });
      return c2bReject('C2B00013');
    }
    const meterNo = await findMeterByBillRef(this.db, body.BillRefNumber);
    this.outcomes.inc({ kind: 'validation', outcome: meterNo === null ? 'unknown_account' : 'accepted' });
    return meterNo === null ? c2bReject('C2B00012') : c2bAccept();
  }

  async confirm(
    body: C2bTransaction,
    remoteAddress: string,
  ): Promise<{ outcome: C2bOutcome; ack: C2bConfirmationResponse }> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO daraja_callbacks (kind, trans_id, body, remote_addr) VALUES ('c2b_confirmation', $1, $2, $3)
       RETURNING id::text AS id`,
      [body.TransID, JSON.stringify(body), remoteAddress],
    );
    const callbackId = rows[0]!.id;
    const result = await this.db.transaction((tx) => this.confirmWithin(tx, callbackId, body));
    this.outcomes.inc({ kind: 'confirmation', outcome: result.outcome });
    this.logger.info({ transId: body.TransID, outcome: result.outcome }, 'paybill confirmation settled');
    // M-Pesa has taken the money whatever we make of it: always acknowledge a persisted one.
    return { outcome: result.outcome, ack: c2bConfirmationAck() };
  }

  private async confirmWithin(
    tx: Transaction,
    callbackId: string,
    body: C2bTransaction,
  ): Promise<{ outcome: C2bOutcome }> {
    const amountCents = transAmountToCents(body.TransAmount) ?? 0;
    const meterNo = await findMeterByBillRef(tx, body.BillRefNumber);
    const matched = meterNo !== null && amountCents > 0;
    const msisdn = normalizeMsisdn(body.MSISDN);
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO c2b_payments (trans_id, bill_ref, meter_no, msisdn, amount_cents, status, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (trans_id) DO NOTHING RETURNING id`,
      [
        body.TransID,
        body.BillRefNumber,
        matched ? meterNo : null,
        msisdn,
        amountCents,
        matched ? 'credited' : 'unmatched',
        JSON.stringify(body),
      ],
    );
    const paymentId = inserted.rows[0]?.id;
    if (paymentId === undefined) {
      await settle(tx, callbackId, 'duplicate', 'TransID already recorded');
      return { outcome: 'duplicate' };
    }
    if (!matched) {
      await settle(tx, callbackId, 'orphan', 'no meter has this account number');
      await audit(tx, 'payment.c2b_unmatched', body.TransID, { billRef: body.BillRefNumber, amountCents });
      this.logger.warn(
        { transId: body.TransID },
        'paybill payment for an unknown account kept for operator review',
      );
      return { outcome: 'orphan' };
    }
    const credited = await this.credit.creditWithin(tx, SYSTEM, {
      meterNo,
      amountCents,
      source: 'mpesa_c2b',
      type: 'paybill',
      externalRef: `C2B-${body.TransID}`,
      phone: msisdn,
    });
    await tx.query(`UPDATE c2b_payments SET transaction_id = $2 WHERE id = $1`, [
      paymentId,
      credited.transactionId,
    ]);
    await settle(tx, callbackId, credited.duplicate ? 'duplicate' : 'applied', null);
    return { outcome: credited.duplicate ? 'duplicate' : 'applied' };
  }
}

/**
 * BillRefNumber as typed (spaces, lower case) → our meter number, or null (also when ambiguous).
 * The customer types the meter's paybill account number (the meter number when it fits in 12).
 */
export async function findMeterByBillRef(db: Queryable, billRef: string): Promise<string | null> {
  const wanted = billRef.trim().toUpperCase();
  if (wanted.length === 0 || wanted.length > darajaLimits.MAX_BILL_REF_CHARS) return null;
  const { rows } = await db.query<{ meter_no: string }>(
    `SELECT m.meter_no FROM meters m WHERE upper(${ACCOUNT_NO_SQL}) = $1 LIMIT 2`,
    [wanted],
  );
  return rows.length === 1 ? rows[0]!.meter_no : null;
}

async function settle(
  tx: Queryable,
  callbackId: string,
  outcome: string,
  detail: string | null,
): Promise<void> {
  await tx.query(
    `UPDATE daraja_callbacks SET outcome = $2, detail = $3, processed_at = now() WHERE id = $1`,
    [callbackId, outcome, detail],
  );
}
