import { normalizeMsisdn, readCallbackMetadata, stkCallbackBodySchema } from '@umeme/daraja';
import { centsToKes, mwhToKwh } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { CreditResult, CreditService } from '../credit/credit.service';
import type { Db, Queryable } from '../db/db';
import type { EventBus } from '../shared/events';
import { assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type {
  AssignOrphanBody,
  AssignOrphanResponse,
  DismissOrphanBody,
  ListOrphansQuery,
  OrphanListResponse,
  OrphanResponse,
  OrphanState,
} from './orphans.schema';

/** M-Pesa receipt numbers are capitals and digits; anything else is not one. */
const RECEIPT_PATTERN = /^[A-Z0-9]{8,20}$/;
const CALLBACK_ID_PATTERN = /^[0-9]{1,18}$/;

interface OrphanRow {
  id: string;
  checkout_request_id: string | null;
  result_code: number | null;
  body: unknown;
  received_at: Date | string;
  resolution: 'assigned' | 'dismissed' | null;
  resolved_by: string | null;
  resolved_by_email: string | null;
  resolved_at: Date | string | null;
  resolution_reason: string | null;
  resolved_meter_no: string | null;
  transaction_id: string | null;
}

const ORPHAN_COLUMNS = `c.id::text AS id, c.checkout_request_id, c.result_code, c.body, c.received_at, c.resolution,
  c.resolved_by, u.email AS resolved_by_email, c.resolved_at, c.resolution_reason, c.resolved_meter_no, c.transaction_id`;

/** What an orphan's stored body says about the money. */
interface OrphanPayment {
  merchantRequestId: string | null;
  resultDesc: string | null;
  amountCents: number | null;
  receipt: string | null;
  phone: string | null;
  transactionDate: string | null;
  creditable: boolean;
}

/**
 * Operator review of orphan callbacks (docs/design.md §7): STK callbacks whose CheckoutRequestID matched
 * no intent. An admin assigns one to a meter — credited once through the crediting service under
 * the M-Pesa receipt, the same key an intent's credit uses — or dismisses it; both need a reason
 * and leave an audit row. The callback row is locked while deciding, so two operators cannot
 * both resolve it.
 */
export class OrphansService {
  constructor(
    private readonly db: Db,
    private readonly credit: CreditService,
    private readonly logger: Logger,
    private readonly bus: EventBus,
  ) {}

  async list(caller: Caller, query: ListOrphansQuery): Promise<OrphanListResponse> {
    assertCan(caller, 'console.view');
    const { rows } = await this.db.query<OrphanRow>(
      `SELECT ${ORPHAN_COLUMNS}
         FROM daraja_callbacks c LEFT JOIN users u ON u.id = c.resolved_by
        WHERE c.outcome = 'orphan' AND c.kind = 'stk'
          AND ($1::text = 'all' OR ($1 = 'open' AND c.resolution IS NULL) OR c.resolution = $1)
          AND ($2::bigint IS NULL OR c.id < $2::bigint)
        ORDER BY c.id DESC
        LIMIT $3`,
      [query.status, query.cursor ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      orphans: page.map(toResponse),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  async assign(caller: Caller, id: string, body: AssignOrphanBody): Promise<AssignOrphanResponse> {
    assertCan(caller, 'money.move');
    const adminId = caller.kind === 'user' ? caller.userId : null;
    const { row, credited } = await this.db.transaction(async (tx) => {
      const orphan = await lockOpenOrphan(tx, id);
      const payment = paymentOf(orphan.body);
      if (!payment.creditable || payment.amountCents === null || payment.receipt === null) {
        throw new AppError('ORPHAN_NOT_CREDITABLE');
      }
      // An intent that learnt this CheckoutRequestID since settles the callback itself.
      if (orphan.checkout_request_id !== null) {
        const matched = await tx.query(`SELECT 1 FROM payment_intents WHERE checkout_request_id = $1`, [
          orphan.checkout_request_id,
        ]);
        if (matched.rowCount > 0) {
          throw new AppError(
            'ORPHAN_ALREADY_RESOLVED',
            'That callback now matches a payment request and is settled with it.',
          );
        }
      }
      let credited: CreditResult;
      try {
        credited = await this.credit.creditWithin(tx, caller, {
          meterNo: body.meterNo,
          amountCents: payment.amountCents,
          source: 'mpesa_stk',
          type: 'payment',
          // The key an intent's credit uses too: one receipt is credited once, whichever way.
          externalRef: `MPESA-${payment.receipt}`,
          phone: payment.phone === null ? null : normalizeMsisdn(payment.phone),
          createdBy: adminId,
        });
      } catch (err) {
        // Two orphans with one receipt, assigned to two meters at once: the unique reference.
        if ((err as { code?: unknown }).code === '23505') throw new AppError('PAYMENT_DUPLICATE');
        throw err;
      }
      const transactionId = credited.transactionId;
      const updated = await resolve(
        tx,
        orphan.id,
        'assigned',
        adminId,
        body.reason,
        body.meterNo,
        transactionId,
      );
      await auditDecision(tx, adminId, 'payment.orphan_assigned', orphan.id, {
        reason: body.reason,
        meterNo: body.meterNo,
        checkoutRequestId: orphan.checkout_request_id,
        receipt: payment.receipt,
        amountCents: payment.amountCents,
        transactionId,
        alreadyCredited: credited.duplicate,
      });
      return { row: updated, credited };
    });
    this.bus.emit('payment_orphan_resolved', { callbackId: row.id, resolution: 'assigned' });
    this.logger.info(
      { callbackId: row.id, meterNo: body.meterNo, transactionId: credited.transactionId },
      'orphan callback assigned by an operator',
    );
    return {
      orphan: toResponse(row),
      credited: !credited.duplicate,
      energyKwh: credited.duplicate ? null : mwhToKwh(credited.energyMwh),
      balanceKwh: mwhToKwh(credited.balanceMwh),
    };
  }

  async dismiss(caller: Caller, id: string, body: DismissOrphanBody): Promise<OrphanResponse> {
    assertCan(caller, 'money.move');
    const adminId = caller.kind === 'user' ? caller.userId : null;
    const row = await this.db.transaction(async (tx) => {
      const orphan = await lockOpenOrphan(tx, id);
      const payment = paymentOf(orphan.body);
      const updated = await resolve(tx, orphan.id, 'dismissed', adminId, body.reason, null, null);
      await auditDecision(tx, adminId, 'payment.orphan_dismissed', orphan.id, {
        reason: body.reason,
        checkoutRequestId: orphan.checkout_request_id,
        receipt: payment.receipt,
        amountCents: payment.amountCents,
      });
      return updated;
    });
    this.bus.emit('payment_orphan_resolved', { callbackId: row.id, resolution: 'dismissed' });
    this.logger.info({ callbackId: row.id }, 'orphan callback dismissed by an operator');
    return toResponse(row);
  }
}

/** Locks an orphan that still awaits a decision; 404 for anything else, 409 once decided. */
async function lockOpenOrphan(tx: Queryable, id: string): Promise<OrphanRow> {
  if (!CALLBACK_ID_PATTERN.test(id)) throw new AppError('ORPHAN_NOT_FOUND');
  const { rows } = await tx.query<Omit<OrphanRow, 'resolved_by_email'>>(
    `SELECT c.id::text AS id, c.checkout_request_id, c.result_code, c.body, c.received_at, c.resolution,
            c.resolved_by, c.resolved_at, c.resolution_reason, c.resolved_meter_no, c.transaction_id
       FROM daraja_callbacks c
      WHERE c.id = $1::bigint AND c.outcome = 'orphan' AND c.kind = 'stk'
      FOR UPDATE`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new AppError('ORPHAN_NOT_FOUND');
  if (row.resolution !== null) {
    throw new AppError('ORPHAN_ALREADY_RESOLVED', `That orphan callback was already ${row.resolution}.`);
  }
  return { ...row, resolved_by_email: null };
}

async function resolve(
  tx: Queryable,
  id: string,
  resolution: 'assigned' | 'dismissed',
  adminId: string | null,
  reason: string,
  meterNo: string | null,
  transactionId: string | null,
): Promise<OrphanRow> {
  const { rows } = await tx.query<OrphanRow>(
    `WITH c AS (
       UPDATE daraja_callbacks SET resolution = $2, resolved_by = $3, resolved_at = now(), resolution_reason = $4,
              resolved_meter_no = $5, transaction_id = $6
        WHERE id = $1::bigint
        RETURNING *)
     SELECT ${ORPHAN_COLUMNS} FROM c LEFT JOIN users u ON u.id = c.resolved_by`,
    [id, resolution, adminId, reason, meterNo, transactionId],
  );
  return rows[0]!;
}

async function auditDecision(
  tx: Queryable,
  adminId: string | null,
  action: string,
  callbackId: string,
  details: object,
): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, $2, $3, $4, $5)`,
    [adminId, adminId === null ? 'system' : 'user', action, callbackId, JSON.stringify(details)],
  );
}

function paymentOf(body: unknown): OrphanPayment {
  const parsed = stkCallbackBodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      merchantRequestId: null,
      resultDesc: null,
      amountCents: null,
      receipt: null,
      phone: null,
      transactionDate: null,
      creditable: false,
    };
  }
  const cb = parsed.data.Body.stkCallback;
  const meta = cb.ResultCode === 0 ? readCallbackMetadata(cb.CallbackMetadata?.Item) : {};
  const receipt = meta.mpesaReceiptNumber ?? null;
  const amountCents = meta.amountCents ?? null;
  return {
    merchantRequestId: cb.MerchantRequestID,
    resultDesc: cb.ResultDesc,
    amountCents,
    receipt,
    phone: meta.phoneNumber ?? null,
    transactionDate: meta.transactionDate ?? null,
    creditable:
      cb.ResultCode === 0 &&
      receipt !== null &&
      RECEIPT_PATTERN.test(receipt) &&
      amountCents !== null &&
      amountCents > 0,
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function toResponse(r: OrphanRow): OrphanResponse {
  const p = paymentOf(r.body);
  const state: OrphanState = r.resolution ?? 'open';
  return {
    id: r.id,
    checkoutRequestId: r.checkout_request_id,
    merchantRequestId: p.merchantRequestId,
    resultCode: r.result_code,
    resultDesc: p.resultDesc,
    amountKes: p.amountCents === null ? null : centsToKes(p.amountCents),
    amountCents: p.amountCents,
    receipt: p.receipt,
    phone: p.phone,
    transactionDate: p.transactionDate,
    creditable: p.creditable && state === 'open',
    receivedAt: new Date(r.received_at).toISOString(),
    state,
    resolvedBy: r.resolved_by_email ?? r.resolved_by,
    resolvedAt: iso(r.resolved_at),
    reason: r.resolution_reason,
    meterNo: r.resolved_meter_no,
    transactionId: r.transaction_id,
  };
}
