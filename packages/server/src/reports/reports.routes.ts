import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, consoleRoute } from '../shared/http';
import { AppError } from '../shared/errors';
import { STATEMENT_CSP } from '../shared/security-headers';
import {
  dailyQuery,
  monthlyQuery,
  ownStatementParams,
  reportResponse,
  statementParams,
  statementQuery,
  statementResponse,
} from './reports.schema';
import { reportCsv, statementCsv, statementHtml, type ReportsService } from './reports.service';
import type { StatementLanguage } from './statement-texts';

/** CSV and HTML downloads are sent as text, bypassing JSON serialisation. */
const csvOrHtml = z.string();

export const reportsRoutes =
  (reports: ReportsService): FastifyPluginAsyncZod =>
  async (app) => {
    for (const unit of ['day', 'month'] as const) {
      app.get(
        unit === 'day' ? '/api/admin/reports/daily' : '/api/admin/reports/monthly',
        {
          config: consoleRoute('console.view'),
          schema: {
            querystring: unit === 'day' ? dailyQuery : monthlyQuery,
            response: { 200: z.union([reportResponse, csvOrHtml]) },
          },
        },
        async (req, reply) => {
          const r = await reports.report(callerOf(req), unit, req.query.from, req.query.to);
          if (req.query.format === 'csv') {
            return reply
              .type('text/csv; charset=utf-8')
              .header('content-disposition', `attachment; filename="umeme-${unit}-${r.from}-${r.to}.csv"`)
              .send(reportCsv(r));
          }
          return r;
        },
      );
    }
    const send = async (
      reply: FastifyReply,
      format: 'json' | 'csv' | 'html',
      statement: Awaited<ReturnType<ReportsService['statement']>>,
      lang: StatementLanguage,
    ) => {
      const name = `umeme-statement-${statement.period}`;
      if (format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(statementCsv(statement, lang));
      if (format === 'html')
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', STATEMENT_CSP)
          .send(statementHtml(statement, lang));
      return statement;
    };
    app.get(
      '/api/admin/statements/:userId/:month',
      {
        config: consoleRoute('console.view'),
        schema: {
          params: statementParams,
          querystring: statementQuery,
          response: { 200: z.union([statementResponse, csvOrHtml]) },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req);
        const statement = await reports.statement(caller, req.params.userId, req.params.month);
        const lang = req.query.lang ?? (await reports.statementLanguage(caller, req.params.userId));
        return send(reply, req.query.format, statement, lang);
      },
    );
    app.get(
      '/api/statements/:month',
      {
        schema: {
          params: ownStatementParams,
          querystring: statementQuery,
          response: { 200: z.union([statementResponse, csvOrHtml]) },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req);
        if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
        const statement = await reports.statement(caller, caller.userId, req.params.month);
        const lang = req.query.lang ?? (await reports.statementLanguage(caller, caller.userId));
        return send(reply, req.query.format, statement, lang);
      },
    );
  };
