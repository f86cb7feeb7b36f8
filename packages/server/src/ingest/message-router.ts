import {
  decodeConsumption,
  decodeWith,
  kwhToMwh,
  meterBalanceSchema,
  parseMeterTopic,
  statusSchema,
} from '@umeme/protocol';
import type { Logger } from 'pino';
import type { IngestService } from './ingest.service';
import type { MeterReportsService } from '../meters/meter-reports.service';
import type { Metrics } from '../shared/metrics';

const LOG_EVERY_MS = 60_000;
const LOG_MEMORY_MAX = 10_000;

/**
 * Routes meter messages to services. Malformed, oversized or foreign payloads are counted,
 * logged once per meter per minute, and dropped: never a crash, never a balance change.
 */
export class MessageRouter {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly ingest: IngestService,
    private readonly reports: MeterReportsService,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  route(topic: string, payload: Buffer, receivedAtMs = Date.now()): Promise<void> | void {
    const parsed = parseMeterTopic(topic);
    if (!parsed) return this.reject('unknown', 'bad_topic', topic.slice(0, 64));
    const { meterNo, kind } = parsed;
    switch (kind) {
      case 'consumption': {
        const r = decodeConsumption(payload);
        if (!r.ok) return this.reject(kind, r.reason, meterNo);
        const v = r.value;
        if (v.report.meterNo !== meterNo) return this.reject(kind, 'foreign_meter', meterNo);
        try {
          if (v.kind === 'v2') {
            const rep = v.report;
            return this.ingest.enqueue({
              meterNo,
              kind: 'v2',
              energyMwh: kwhToMwh(rep.energyTotal),
              seq: rep.seq,
              reportTs: rep.timestamp,
              powerW: rep.powerW ?? null,
              relay: rep.relay ?? null,
              meterBalanceMwh: rep.remainingBalance === undefined ? null : kwhToMwh(rep.remainingBalance),
              receivedAtMs,
            });
          }
          const rep = v.report;
          return this.ingest.enqueue({
            meterNo,
            kind: 'legacy',
            energyMwh: kwhToMwh(rep.totalConsumed),
            seq: rep.timestamp,
            reportTs: rep.timestamp,
            powerW: null,
            relay: null,
            meterBalanceMwh: kwhToMwh(rep.remainingBalance),
            receivedAtMs,
          });
        } catch {
          return this.reject(kind, 'out_of_range', meterNo);
        }
      }
      case 'status': {
        const r = decodeWith(statusSchema, payload);
        if (!r.ok) return this.reject(kind, r.reason, meterNo);
        if (r.value.meterNo !== meterNo) return this.reject(kind, 'foreign_meter', meterNo);
        return this.reports.applyStatus(meterNo, r.value).catch((err: unknown) => {
          this.logger.error({ err, meterNo }, 'status update failed');
          throw err;
        });
      }
      case 'balance': {
        const r = decodeWith(meterBalanceSchema, payload);
        if (!r.ok) return this.reject(kind, r.reason, meterNo);
        if (r.value.meterNo !== meterNo) return this.reject(kind, 'foreign_meter', meterNo);
        return this.reports.applyBalance(meterNo, r.value).catch((err: unknown) => {
          this.logger.error({ err, meterNo }, 'balance report failed');
          throw err;
        });
      }
    }
  }

  private reject(kind: string, reason: string, meterNo: string): void {
    this.metrics.mqttRejected.inc({ topic_kind: kind, reason });
    const key = `${meterNo}:${kind}`;
    const now = Date.now();
    if (now - (this.lastLogged.get(key) ?? 0) >= LOG_EVERY_MS) {
      if (this.lastLogged.size >= LOG_MEMORY_MAX) this.lastLogged.clear();
      this.lastLogged.set(key, now);
      this.logger.warn({ meterNo, kind, reason }, 'dropped a malformed meter message');
    }
  }
}
