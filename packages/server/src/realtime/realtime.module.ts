import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { SessionGuard } from '../auth/sessions';
import type { Config } from '../config';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import type { OnClose } from '../shared/startup';
import { RealtimeGateway } from './realtime.gateway';

export interface RealtimeModuleDeps {
  config: Config;
  httpServer: HttpServer;
  sessions: SessionGuard;
  db: Db;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  onClose: OnClose;
  friendlyHoursNow?: () => boolean;
}

/** Wires the browser realtime gateway (Socket.IO, Redis when REDIS_URL is set) onto the listening HTTP server. */
export async function startRealtime(deps: RealtimeModuleDeps): Promise<RealtimeGateway> {
  const { onClose, logger, ...rest } = deps;
  const gateway = await RealtimeGateway.attach({ ...rest, logger: logger.child({ part: 'realtime' }) });
  onClose('realtime', () => gateway.close());
  return gateway;
}
