import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { MeterReportsService } from '../meters/meter-reports.service';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { IngestService } from './ingest.service';
import { MessageRouter } from './message-router';

export interface IngestModuleDeps {
  config: Config;
  db: Db;
  bus: EventBus;
  alerts: AlertsService;
  metrics: Metrics;
  logger: Logger;
}

export interface IngestModule {
  /** consumption reports, applied in batches */
  service: IngestService;
  /** meters' status and balance reports */
  reports: MeterReportsService;
  /** what the server's MQTT client hands each message to */
  router: MessageRouter;
  close(): Promise<void>;
}

/** How long a batch that failed for want of the database waits before it is applied again. */
export const INGEST_RETRY_DELAY_MS = 500;

/** Wires ingest (docs/architecture.md, Ingest pipeline): the batcher, status reports and the topic router. */
export function createIngest(deps: IngestModuleDeps): IngestModule {
  const { config, db, bus, alerts, metrics, logger } = deps;
  const service = new IngestService(db, bus, alerts, metrics, logger, {
    maxBatch: config.INGEST_BATCH_MAX,
    maxDelayMs: config.INGEST_BATCH_DELAY_MS,
    // PGlite is one connection: batches queue behind each other anyway
    concurrency: db.kind === 'postgres' ? config.INGEST_CONCURRENCY : 1,
    highWater: config.INGEST_QUEUE_HIGH_WATER,
    defaultRatedPowerW: config.METER_RATED_POWER_DEFAULT_W,
    registerGraceMs: config.REGISTER_JUMP_GRACE_S * 1000,
    retryDelayMs: INGEST_RETRY_DELAY_MS,
  });
  const reports = new MeterReportsService(db, alerts, bus, logger);
  const router = new MessageRouter(service, reports, metrics, logger);
  return { service, reports, router, close: () => service.close() };
}
