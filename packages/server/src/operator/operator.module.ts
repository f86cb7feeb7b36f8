import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { adjustmentsRoutes } from '../adjustments/adjustments.routes';
import { AdjustmentsService } from '../adjustments/adjustments.service';
import { adminRoutes } from '../admin/admin.routes';
import { AdminService } from '../admin/admin.service';
import { FleetLive } from '../admin/fleet-live';
import { OperatorAlertsService } from '../admin/operator-alerts.service';
import type { AlertsService } from '../alerts/alerts.service';
import { commandsRoutes } from '../commands/commands.routes';
import { CommandsService } from '../commands/commands.service';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { LowBalanceForecastService } from '../forecast/low-balance-forecast.service';
import { friendlyHoursRoutes } from '../friendly-hours/friendly-hours.routes';
import { FriendlyHoursService } from '../friendly-hours/friendly-hours.service';
import { runOnce, type JobLeases } from '../jobs/job-leases';
import type { MetersService } from '../meters/meters.service';
import type { CommandTransport } from '../mqtt/command-publisher';
import { registerHoldsRoutes } from '../register-holds/register-holds.routes';
import { RegisterHoldsService } from '../register-holds/register-holds.service';
import { reportsRoutes } from '../reports/reports.routes';
import { ReportsService } from '../reports/reports.service';
import type { EventBus } from '../shared/events';
import type { OnClose } from '../shared/startup';

export interface OperatorModuleDeps {
  config: Config;
  db: Db;
  bus: EventBus;
  alerts: AlertsService;
  meters: MetersService;
  /** publishes operators' meter commands */
  transport: CommandTransport;
  logger: Logger;
  onClose: OnClose;
  /** runs the sweeps on one live instance at a time (issue 16 §2) */
  jobs: Pick<JobLeases, 'add'>;
  /** wall clock of the friendly-hours scheduler (epoch ms); tests may move it */
  clock?: () => number;
}

/** The operator console's services (issue 5). */
export interface OperatorServices {
  admin: AdminService;
  commands: CommandsService;
  adjustments: AdjustmentsService;
  alerts: OperatorAlertsService;
  reports: ReportsService;
  /** nights, Sundays and holidays when the load is never cut (issue 5 §4) */
  friendlyHours: FriendlyHoursService;
  /** "about N hours of credit left" notices (issue 5 §6) */
  forecast: LowBalanceForecastService;
  /** decisions on implausible register jumps held by ingest (MQ-13) */
  registerHolds: RegisterHoldsService;
}

export interface OperatorModule {
  services: OperatorServices;
  routes: FastifyPluginAsyncZod;
  /** Applies the friendly-hours schedule and keeps doing so; call once MQTT is connected. */
  startFriendlyHours(): Promise<void>;
  /** Streams fleet changes to the operators' sockets; call once the realtime gateway is attached. */
  attachFleetLive(nsp: ConstructorParameters<typeof FleetLive>[0]): void;
}

/** Wires the operator console: its services, their jobs (started here) and its routes. */
export function createOperator(deps: OperatorModuleDeps): OperatorModule {
  const { config, db, bus, alerts, logger, onClose } = deps;
  const commands = new CommandsService(
    db,
    deps.transport,
    bus,
    alerts,
    logger.child({ part: 'operator-commands' }),
  );
  const services: OperatorServices = {
    admin: new AdminService(db, bus),
    commands,
    adjustments: new AdjustmentsService(db, bus, alerts, logger.child({ part: 'adjustments' })),
    alerts: new OperatorAlertsService(db, bus, alerts, logger.child({ part: 'operator-alerts' })),
    reports: new ReportsService(db, bus),
    friendlyHours: new FriendlyHoursService(db, commands, logger.child({ part: 'friendly-hours' }), {
      tickIntervalMs: config.FRIENDLY_HOURS_TICK_S * 1000,
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
    forecast: new LowBalanceForecastService(db, alerts, logger.child({ part: 'forecast' }), {
      thresholdMinutes: Math.round(config.LOW_BALANCE_FORECAST_HOURS * 60),
      intervalMs: config.LOW_BALANCE_FORECAST_INTERVAL_S * 1000,
    }),
    registerHolds: new RegisterHoldsService(db, bus, alerts, logger.child({ part: 'register-holds' })),
  };
  // Each runs on one live instance at a time; friendly-hours ticks run everywhere (state-based,
  // one writer per transition by its own lock: tests/ha/run-once-jobs.test.ts).
  deps.jobs.add(runOnce('command-expiry', services.commands));
  deps.jobs.add(runOnce('connection-lost-sweep', services.alerts));
  deps.jobs.add(runOnce('low-balance-forecast', services.forecast));
  onClose('operator jobs', async () => {
    services.commands.stop();
    services.alerts.stop();
    services.friendlyHours.stop();
    services.forecast.stop();
  });

  const routes: FastifyPluginAsyncZod = async (http) => {
    await http.register(
      adminRoutes({ db, admin: services.admin, alerts: services.alerts, meters: deps.meters }),
    );
    await http.register(commandsRoutes(services.commands));
    await http.register(adjustmentsRoutes(services.adjustments));
    await http.register(registerHoldsRoutes(services.registerHolds));
    await http.register(reportsRoutes(services.reports));
    await http.register(friendlyHoursRoutes(services.friendlyHours));
  };

  return {
    services,
    routes,
    startFriendlyHours: () => services.friendlyHours.start(),
    attachFleetLive(nsp) {
      const fleetLive = new FleetLive(nsp, bus, services.admin, logger.child({ part: 'fleet-live' }));
      onClose('fleet live', async () => fleetLive.close());
    },
  };
}
