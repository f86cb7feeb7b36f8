import { centsToKes, mwhToKwh } from '@umeme/protocol';
import { ACCOUNT_NO_SQL } from '../meters/account-no';
import type { Db } from '../db/db';
import { assertMeterAccess, assertUserAccess, seesEverything, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { findMeterOwner } from '../shared/meter-owner';
import { maskPhone } from '../shared/mask-phone';
import type {
  TransactionPage,
  TransactionReceipt,
  TransactionResponse,
  TransactionsQuery,
} from './transactions.schema';

interface TransactionRow {
  id: string;
  meter_no: string;
  type: string;
  source: string;
  status: TransactionResponse['status'];
  amount_cents: number;
  energy_mwh: number;
  external_ref: string | null;
  phone: string | null;
  created_at: Date | string;
  completed_at: Date | string | null;
  created_us: number;
}

const SELECT = `SELECT id, meter_no, type, source, status, amount_cents, energy_mwh, external_ref, phone,
    created_at, completed_at, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us
  FROM transactions`;

/** Transaction history, newest first, in keyset pages (stable while new rows arrive). */
export class TransactionsService {
  constructor(private readonly db: Db) {}

  async listForUser(caller: Caller, userId: string, page: TransactionsQuery): Promise<TransactionPage> {
    assertUserAccess(caller, userId);
    if (seesEverything(caller)) {
      const { rowCount } = await this.db.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
      if (rowCount === 0) throw new AppError('USER_NOT_FOUND');
    }
    return this.page('user_id = $1', [userId], page);
  }

  async listForMeter(caller: Caller, meterNo: string, page: TransactionsQuery): Promise<TransactionPage> {
    assertMeterAccess(caller, meterNo, await findMeterOwner(this.db, meterNo));
    // A customer sees their own purchases on the meter, not a previous owner's.
    if (caller.kind === 'user' && !seesEverything(caller)) {
      return this.page('meter_no = $1 AND user_id = $2', [meterNo, caller.userId], page);
    }
    return this.page('meter_no = $1', [meterNo], page);
  }

  /**
   * One transaction's receipt as stored: the split, the M-Pesa receipt number, the balance after.
   * The owner (the customer the purchase was made for) or an admin; "missing" and "not yours"
   * answer the same 404.
   */
  async receipt(caller: Caller, transactionId: string): Promise<TransactionReceipt> {
    const { rows } = await this.db.query<ReceiptRow>(
      `SELECT t.id, t.meter_no, (SELECT ${ACCOUNT_NO_SQL} FROM meters m WHERE m.meter_no = t.meter_no) AS account_no,
              t.user_id, t.type, t.source, t.status, t.amount_cents, t.energy_mwh,
              t.external_ref, t.phone, t.receipt, t.created_at, t.completed_at,
              (SELECT i.mpesa_receipt FROM payment_intents i
                WHERE i.meter_no = t.meter_no AND i.transaction_id = t.id LIMIT 1) AS mpesa_receipt
         FROM transactions t WHERE t.id = $1`,
      [transactionId],
    );
    const row = rows[0];
    const allowed =
      row !== undefined &&
      (seesEverything(caller) ||
        (caller.kind === 'user' && row.user_id !== null && row.user_id === caller.userId));
    if (!allowed) throw new AppError('TRANSACTION_NOT_FOUND');
    return toReceiptResponse(row);
  }

  private async page(where: string, params: unknown[], q: TransactionsQuery): Promise<TransactionPage> {
    const args = [...params];
    let keyset = '';
    if (q.cursor) {
      const [us, id] = q.cursor.split('_') as [string, string];
      args.push(Number(us), id);
      const n = args.length;
      keyset = ` AND (created_at, id) < (timestamptz 'epoch' + $${n - 1}::bigint * interval '1 microsecond', $${n}::uuid)`;
    }
    args.push(q.limit + 1);
    const { rows } = await this.db.query<TransactionRow>(
      `${SELECT} WHERE ${where}${keyset} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
      args,
    );
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return {
      transactions: items.map(toTransactionResponse),
      next: rows.length > q.limit && last ? `${last.created_us}_${last.id}` : null,
    };
  }
}

function toTransactionResponse(r: TransactionRow): TransactionResponse {
  return {
    id: r.id,
    meterNo: r.meter_no,
    type: r.type,
    source: r.source,
    status: r.status,
    amountKes: centsToKes(r.amount_cents),
    amountCents: r.amount_cents,
    energyKwh: mwhToKwh(r.energy_mwh),
    energyMwh: r.energy_mwh,
    reference: r.external_ref,
    phone: maskPhone(r.phone),
    createdAt: new Date(r.created_at).toISOString(),
    completedAt: r.completed_at === null ? null : new Date(r.completed_at).toISOString(),
  };
}

interface ReceiptRow {
  id: string;
  meter_no: string;
  account_no: string;
  user_id: string | null;
  type: string;
  source: string;
  status: TransactionResponse['status'];
  amount_cents: number;
  energy_mwh: number;
  external_ref: string | null;
  phone: string | null;
  receipt: unknown;
  created_at: Date | string;
  completed_at: Date | string | null;
  mpesa_receipt: string | null;
}

const MPESA_REF = /^(?:MPESA|C2B)-([A-Z0-9]{6,20})$/;

/** Reads the stored receipt JSON defensively: old rows and non-tariff credits have other shapes. */
export function toReceiptResponse(r: ReceiptRow): TransactionReceipt {
  const stored = isObject(r.receipt) ? r.receipt : {};
  const lines = Array.isArray(stored.lines) ? stored.lines.filter(isObject) : [];
  const infoLines = Array.isArray(stored.infoLines) ? stored.infoLines.filter(isObject) : [];
  const balanceAfterMwh = safeInt(stored.balanceAfterMwh);
  return {
    transactionId: r.id,
    meterNo: r.meter_no,
    accountNo: r.account_no,
    type: r.type,
    source: r.source,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    completedAt: r.completed_at === null ? null : new Date(r.completed_at).toISOString(),
    amountCents: r.amount_cents,
    amountKes: centsToKes(r.amount_cents),
    energyKwh: mwhToKwh(r.energy_mwh),
    energyMwh: r.energy_mwh,
    mpesaReceipt: r.mpesa_receipt ?? MPESA_REF.exec(r.external_ref ?? '')?.[1] ?? null,
    phone: maskPhone(r.phone),
    balanceAfterKwh: balanceAfterMwh === null ? null : mwhToKwh(balanceAfterMwh),
    tariffId: typeof stored.tariffId === 'string' ? stored.tariffId : null,
    tariffName: typeof stored.tariffName === 'string' ? stored.tariffName : null,
    lines: lines.flatMap((l) => {
      const amountCents = safeInt(l.amountCents);
      if (amountCents === null || typeof l.kind !== 'string') return [];
      const energyMwh = safeInt(l.energyMwh);
      return [
        {
          kind: l.kind,
          code: typeof l.code === 'string' ? l.code : l.kind,
          label: typeof l.label === 'string' ? l.label : l.kind,
          amountCents,
          amountKes: centsToKes(amountCents),
          energyKwh: energyMwh === null ? null : mwhToKwh(energyMwh),
          rateCentsPerKwh: typeof l.rateCentsPerKwh === 'number' ? l.rateCentsPerKwh : null,
          basisPoints: safeInt(l.basisPoints),
        },
      ];
    }),
    infoLines: infoLines.flatMap((l) => {
      const energyMwh = safeInt(l.energyMwh);
      const valueCents = safeInt(l.valueCents);
      if (energyMwh === null || valueCents === null || typeof l.code !== 'string') return [];
      return [
        {
          code: l.code,
          label: typeof l.label === 'string' ? l.label : l.code,
          energyKwh: mwhToKwh(energyMwh),
          energyMwh,
          valueCents,
          valueKes: centsToKes(valueCents),
        },
      ];
    }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}
