import { kesToCents } from '@umeme/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { callerOf } from '../shared/http';
import { simulateBody } from '../meters/meters.schema';
import type { CreditService } from './credit.service';

export const creditResponse = z.object({
  transactionId: z.string(),
  duplicate: z.boolean(),
  meterNo: z.string(),
  amountKes: z.number(),
  energyKwh: z.number(),
  balanceKwh: z.number(),
  creditLimitKwh: z.number(),
  receipt: z.unknown(),
});

/**
 * `POST /daraja/simulate {meter_no, amount}`: the demo top-up, crediting without payment.
 * Registered in demo mode only (404 in every other mode); its credits are demo money
 * (`transactions.demo`, source 'simulate') and never count as revenue.
 */
export const creditRoutes =
  (credit: CreditService, enabled: boolean): FastifyPluginAsyncZod =>
  async (app) => {
    if (!enabled) return;
    app.post(
      '/daraja/simulate',
      { schema: { body: simulateBody, response: { 200: creditResponse } } },
      async (req) => {
        const r = await credit.credit(callerOf(req), {
          meterNo: req.body.meter_no,
          amountCents: kesToCents(req.body.amount),
          source: 'simulate',
          type: 'simulate',
          externalRef: `SIM-${req.body.reference ?? randomUUID()}`,
          createdBy: req.caller?.kind === 'user' ? req.caller.userId : null,
        });
        return {
          transactionId: r.transactionId,
          duplicate: r.duplicate,
          meterNo: r.meterNo,
          amountKes: r.amountCents / 100,
          energyKwh: r.energyMwh / 1e6,
          balanceKwh: r.balanceMwh / 1e6,
          creditLimitKwh: r.creditLimitMwh / 1e6,
          receipt: r.receipt,
        };
      },
    );
  };
