import { centsToKes, kesToCents } from '@umeme/protocol';
import type { CreditResult, CreditService } from '../credit/credit.service';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import { assertCan, assertMeterAccess, seesEverything, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { findMeterOwner } from '../shared/meter-owner';
import type {
  ListTopupsQuery,
  ProcessTopupBody,
  TopupRequestBody,
  TopupResponse,
  TopupStatus,
} from './topups.schema';

interface TopupRow {
  id: string;
  user_id: string;
  customer_name: string;
  customer_phone: string | null;
  meter_no: string;
  amount_cents: number;
  channel: string;
  reference: string | null;
  status: TopupStatus;
  admin_notes: string | null;
  processed_by: string | null;
  processed_at: Date | string | null;
  transaction_id: string | null;
  created_at: Date | string;
}

const COLUMNS = `id, user_id, meter_no, amount_cents, channel, reference, status, admin_notes, processed_by,
  processed_at, transaction_id, created_at`;
/** The request with its customer's name and phone (the operators' queue shows who asked). */
const WITH_CUSTOMER = `SELECT t.*, u.name AS customer_name, u.phone AS customer_phone
  FROM topup_requests t JOIN users u ON u.id = t.user_id`;

/**
 * Top-ups through manual channels (cash at an agent, a bank transfer): a customer asks, an
 * admin approves or rejects. Approval credits through the crediting service in the same
 * transaction that marks the request processed, so approving twice credits once.
 */
export class TopupsService {
  constructor(
    private readonly db: Db,
    private readonly credit: CreditService,
    private readonly bus: EventBus,
  ) {}

  async request(caller: Caller, body: TopupRequestBody): Promise<TopupResponse> {
    const meterNo = body.meterNo ?? (await this.onlyMeterOf(caller));
    assertMeterAccess(caller, meterNo, await findMeterOwner(this.db, meterNo), 'money.move');
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const reference = body.reference ?? body.description ?? null;
    const { rows } = await this.db.query<TopupRow>(
      `WITH t AS (INSERT INTO topup_requests (user_id, meter_no, amount_cents, channel, reference)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS})
       SELECT t.*, u.name AS customer_name, u.phone AS customer_phone FROM t JOIN users u ON u.id = t.user_id`,
      [caller.userId, meterNo, kesToCents(body.amount), body.channel, reference],
    );
    const row = rows[0]!;
    this.bus.emit('topup_requested', {
      topupId: row.id,
      userId: row.user_id,
      meterNo: row.meter_no,
      amountCents: Number(row.amount_cents),
    });
    return toResponse(row);
  }

  /** The original body names no meter: the caller's one meter, or a 400 asking which. */
  private async onlyMeterOf(caller: Caller): Promise<string> {
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const { rows } = await this.db.query<{ meter_no: string }>(
      `SELECT meter_no FROM meters WHERE user_id = $1 ORDER BY meter_no LIMIT 2`,
      [caller.userId],
    );
    if (rows.length === 1) return rows[0]!.meter_no;
    throw new AppError(
      'BAD_REQUEST',
      rows.length === 0 ? 'You have no meter to top up.' : 'Say which meter: meterNo is required.',
    );
  }

  async process(caller: Caller, id: string, body: ProcessTopupBody): Promise<TopupResponse> {
    assertCan(caller, 'money.move');
    const adminId = caller.kind === 'user' ? caller.userId : null;
    const row = await this.db.transaction(async (tx) => {
      const found = await tx.query<TopupRow>(
        `SELECT ${COLUMNS} FROM topup_requests WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const request = found.rows[0];
      if (!request) throw new AppError('TOPUP_NOT_FOUND');
      if (request.status !== 'pending') {
        throw new AppError('TOPUP_ALREADY_PROCESSED', `That top-up request was already ${request.status}.`);
      }
      let credited: CreditResult | null = null;
      if (body.status === 'approved') {
        credited = await this.credit.creditWithin(tx, caller, {
          meterNo: request.meter_no,
          amountCents: request.amount_cents,
          source: 'topup',
          type: 'topup',
          externalRef: `TOPUP-${request.id}`,
          createdBy: adminId,
          paidBy: request.user_id,
        });
      }
      const updated = await tx.query<TopupRow>(
        `WITH t AS (UPDATE topup_requests SET status = $2, admin_notes = $3, processed_by = $4,
                processed_at = now(), transaction_id = $5
          WHERE id = $1 RETURNING ${COLUMNS})
         SELECT t.*, u.name AS customer_name, u.phone AS customer_phone FROM t JOIN users u ON u.id = t.user_id`,
        [id, body.status, body.admin_notes, adminId, credited?.transactionId ?? null],
      );
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, $2, $3, $4, $5)`,
        [
          adminId,
          caller.kind === 'user' ? 'user' : 'system',
          `topup.${body.status}`,
          id,
          JSON.stringify({
            meterNo: request.meter_no,
            amountCents: request.amount_cents,
            notes: body.admin_notes,
            transactionId: credited?.transactionId ?? null,
          }),
        ],
      );
      return updated.rows[0]!;
    });
    this.bus.emit('topup_processed', {
      topupId: row.id,
      userId: row.user_id,
      meterNo: row.meter_no,
      amountCents: Number(row.amount_cents),
      status: body.status,
      notes: body.admin_notes,
      transactionId: row.transaction_id,
    });
    return toResponse(row);
  }

  async list(caller: Caller, query: ListTopupsQuery): Promise<{ topups: TopupResponse[] }> {
    if (caller.kind !== 'user') assertCan(caller, 'console.view');
    const where: string[] = [];
    const params: unknown[] = [];
    // Admins see every request; a customer only their own.
    if (!seesEverything(caller) && caller.kind === 'user') {
      params.push(caller.userId);
      where.push(`t.user_id = $${params.length}`);
    }
    if (query.status) {
      params.push(query.status);
      where.push(`t.status = $${params.length}`);
    }
    if (query.meterNo) {
      params.push(query.meterNo);
      where.push(`t.meter_no = $${params.length}`);
    }
    params.push(query.limit);
    const direction = query.order === 'oldest' ? 'ASC' : 'DESC';
    const { rows } = await this.db.query<TopupRow>(
      `${WITH_CUSTOMER} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY t.created_at ${direction}, t.id ${direction} LIMIT $${params.length}`,
      params,
    );
    return { topups: rows.map(toResponse) };
  }
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function toResponse(r: TopupRow): TopupResponse {
  return {
    id: r.id,
    meterNo: r.meter_no,
    userId: r.user_id,
    customerName: r.customer_name,
    customerPhone: r.customer_phone,
    amountKes: centsToKes(r.amount_cents),
    amountCents: r.amount_cents,
    channel: r.channel,
    reference: r.reference,
    status: r.status,
    adminNotes: r.admin_notes,
    processedBy: r.processed_by,
    processedAt: iso(r.processed_at),
    transactionId: r.transaction_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
