import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../shared/http';
import { errorBody } from '../payments/payments.schema';
import { meterNoParam } from '../shared/fields';
import {
  originalTransactionsQuery,
  transactionArrayResponse,
  transactionIdParam,
  transactionPageResponse,
  transactionReceiptResponse,
  transactionsQuery,
  userIdParam,
} from './transactions.schema';
import type { TransactionsService } from './transactions.service';

/**
 * The original paths answer in the original shape (a plain array, newest first, 50 unless
 * `limit` says); the same lists in keyset pages `{transactions, next}` are under `/api/v2`.
 */
export const transactionsRoutes =
  (transactions: TransactionsService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/transactions/meter/:meterNo',
      {
        schema: {
          params: meterNoParam,
          querystring: originalTransactionsQuery,
          response: { 200: transactionArrayResponse },
        },
      },
      async (req) =>
        (await transactions.listForMeter(callerOf(req), req.params.meterNo, req.query)).transactions,
    );
    app.get(
      '/api/v2/transactions/meter/:meterNo',
      {
        schema: {
          params: meterNoParam,
          querystring: transactionsQuery,
          response: { 200: transactionPageResponse },
        },
      },
      async (req) => transactions.listForMeter(callerOf(req), req.params.meterNo, req.query),
    );
    app.get(
      '/api/transactions/:id/receipt',
      {
        schema: {
          params: transactionIdParam,
          response: { 200: transactionReceiptResponse, 404: errorBody },
        },
      },
      async (req) => transactions.receipt(callerOf(req), req.params.id),
    );
    app.get(
      '/api/transactions/:userId',
      {
        schema: {
          params: userIdParam,
          querystring: originalTransactionsQuery,
          response: { 200: transactionArrayResponse },
        },
      },
      async (req) =>
        (await transactions.listForUser(callerOf(req), req.params.userId, req.query)).transactions,
    );
    app.get(
      '/api/v2/transactions/:userId',
      {
        schema: {
          params: userIdParam,
          querystring: transactionsQuery,
          response: { 200: transactionPageResponse },
        },
      },
      async (req) => transactions.listForUser(callerOf(req), req.params.userId, req.query),
    );
  };
