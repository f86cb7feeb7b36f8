/**
 * The USSD menu's effects over the server's own services: the caller is the customer whose
 * registered phone dialled; buying goes through the same STK push as the dashboard, to that
 * phone only, keyed by the USSD session so a repeated callback prompts once; emergency credit
 * through the same service as the dashboard's button.
 */
import { createHash } from 'node:crypto';
import { toInternationalMsisdn } from '@umeme/africastalking';
import { kwhToMwh } from '@umeme/protocol';
import type { Logger } from 'pino';
import { EMERGENCY_ADVANCE_KWH, type AdjustmentsService } from '../adjustments/adjustments.service';
import type { Db } from '../db/db';
import type { PaymentsService } from '../payments/payments.service';
import type { Caller, Role } from '../shared/access';
import { AppError } from '../shared/errors';
import { smsLanguage } from '../notices/customer-notices';
import type { UssdCaller, UssdPorts, UssdPurchase } from './ussd-menu';
import { ACCOUNT_NO_SQL } from '../meters/account-no';
import { hoursOfCreditLeft } from '../forecast/low-balance-forecast.service';

/** How long a USSD reply waits for M-Pesa to take the prompt; the gateway ends sessions after about ten seconds. */
export const USSD_PUSH_WAIT_MS = 4_000;

interface UssdCallerRow extends UssdCaller {
  role: Role;
  /** 2547XXXXXXXX: where the prompt goes */
  phone: string;
}

export function ussdPorts(deps: {
  db: Db;
  payments: PaymentsService;
  adjustments: AdjustmentsService;
  logger: Logger;
}): UssdPorts {
  const { db, logger } = deps;
  const callers = new WeakMap<UssdCaller, UssdCallerRow>();
  const asCaller = (c: UssdCaller): Caller => ({
    kind: 'user',
    userId: c.userId,
    role: callers.get(c)?.role ?? 'customer',
  });
  const failureText = (err: unknown): string => {
    if (err instanceof AppError) return err.message;
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'USSD action failed');
    return 'Something went wrong. Please try again later.';
  };

  return {
    async caller(phoneNumber) {
      const international = toInternationalMsisdn(phoneNumber);
      if (international === null) return null;
      const phone = international.slice(1);
      const users = await db.query<{ id: string; locale: string; role: Role }>(
        `SELECT id, locale, role FROM users WHERE phone = $1 AND disabled_at IS NULL ORDER BY created_at LIMIT 1`,
        [phone],
      );
      const u = users.rows[0];
      if (!u) return null;
      const meters = await db.query<{
        meter_no: string;
        account_no: string;
        balance_mwh: string;
        debt_cents: string;
      }>(
        `SELECT meter_no, ${ACCOUNT_NO_SQL} AS account_no,
                (credit_limit_mwh - energy_mwh)::bigint AS balance_mwh, debt_cents
           FROM meters m WHERE user_id = $1 ORDER BY meter_no LIMIT 20`,
        [u.id],
      );
      const hours = await hoursOfCreditLeft(
        db,
        meters.rows.map((m) => m.meter_no),
      );
      const caller: UssdCallerRow = {
        userId: u.id,
        lang: smsLanguage(u.locale),
        role: u.role,
        phone,
        meters: meters.rows.map((m) => ({
          meterNo: m.meter_no,
          account: m.account_no,
          balanceMwh: Number(m.balance_mwh),
          hoursLeft: hours.get(m.meter_no) ?? null,
          emergencyMwh:
            Number(m.balance_mwh) <= 0 && Number(m.debt_cents) === 0 ? kwhToMwh(EMERGENCY_ADVANCE_KWH) : 0,
        })),
      };
      callers.set(caller, caller);
      return caller;
    },

    async purchases(caller, meterNo, limit): Promise<UssdPurchase[]> {
      const { rows } = await db.query<{
        created_at: Date | string;
        amount_cents: string;
        energy_mwh: string;
      }>(
        `SELECT created_at, amount_cents, energy_mwh FROM transactions
          WHERE meter_no = $1 AND user_id = $2 AND type IN ('payment', 'paybill', 'topup') AND status = 'completed'
          ORDER BY created_at DESC LIMIT $3`,
        [meterNo, caller.userId, limit],
      );
      return rows.map((r) => ({
        atMs: new Date(r.created_at).getTime(),
        amountCents: Number(r.amount_cents),
        energyMwh: Number(r.energy_mwh),
      }));
    },

    async buy(caller, meterNo, amountKes, sessionId) {
      const row = callers.get(caller);
      if (!row) return failureText(new Error('USSD caller not resolved'));
      // The session id is the gateway's; hashed into the key's alphabet and length.
      const key = `ussd:${createHash('sha256').update(sessionId).digest('hex').slice(0, 40)}`;
      const push = deps.payments
        .requestStkPush(asCaller(caller), { phoneNumber: row.phone, amount: amountKes, meterNo }, key)
        .then(
          (answer) => (answer.statusCode < 300 ? null : 'M-Pesa could not take the payment request.'),
          failureText,
        );
      // Answer within the gateway's time limit: a slow M-Pesa still prompts, the reply says so.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), USSD_PUSH_WAIT_MS);
      });
      try {
        return await Promise.race([push, waited]);
      } finally {
        clearTimeout(timer);
      }
    },

    async emergency(caller, meterNo) {
      try {
        await deps.adjustments.emergency(asCaller(caller), meterNo);
        return null;
      } catch (err) {
        return failureText(err);
      }
    },

    async setLanguage(caller, lang) {
      await db.query(`UPDATE users SET locale = $2 WHERE id = $1`, [caller.userId, lang]);
    },
  };
}
