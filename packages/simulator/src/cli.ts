import { CliUsageError, parseCliArgs, USAGE, type CliConfig } from './cli-args';
import {
  CredentialsError,
  generatedMeterNos,
  loadCredentialsFile,
  prefixCredentials,
  registerMeters,
} from './credentials';
import { Fleet, formatSummary, type MeterCredentials } from './fleet';

/** `npm run sim -- --meters N --interval S …`: a fleet of virtual meters until SIGINT or SIGTERM. */

const DEFAULT_METER_COUNT = 3;
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const log = (line: string): void => {
  process.stdout.write(`[sim] ${line}\n`);
};

async function resolveCredentials(config: CliConfig): Promise<MeterCredentials[]> {
  const source = config.source;
  switch (source.kind) {
    case 'file': {
      const all = await loadCredentialsFile(source.path);
      if (config.meters !== undefined && config.meters > all.length) {
        throw new CredentialsError(`--meters ${config.meters} but ${source.path} lists only ${all.length}`);
      }
      return all.slice(0, config.meters ?? all.length);
    }
    case 'prefix':
      return prefixCredentials(source.prefix, config.meters ?? DEFAULT_METER_COUNT, source.secretFile);
    case 'server': {
      const result = await registerMeters({
        serverUrl: source.serverUrl,
        adminEmail: source.adminEmail,
        adminPassword: source.adminPassword,
        meterNos: generatedMeterNos(source.prefix, config.meters ?? DEFAULT_METER_COUNT),
        openingCreditKwh: config.openingCreditKwh,
        stateDir: config.stateDir,
        log,
      });
      log(
        `registered ${result.registered} meter(s), reused ${result.cached} cached secret(s) from ${config.stateDir}`,
      );
      if (result.credentials.length === 0) throw new Error('no meter has usable credentials');
      return result.credentials;
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let config: CliConfig;
  try {
    config = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`umeme-sim: ${error.message}\nRun with --help for the options.\n`);
    return EXIT_USAGE;
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }

  let credentials: MeterCredentials[];
  try {
    credentials = await resolveCredentials(config);
  } catch (error) {
    process.stderr.write(`umeme-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof CredentialsError ? EXIT_USAGE : EXIT_FAILURE;
  }

  const fleet = new Fleet({
    url: config.url,
    credentials,
    stateDir: config.stateDir,
    seed: config.seed,
    publishIntervalMs: config.publishIntervalMs,
    legacy: config.legacy,
    faults: {
      duplicateRate: config.duplicateRate,
      reorderRate: config.reorderRate,
      dropEvery: config.dropEvery,
    },
    emergencyCreditMwh: config.emergencyCreditMwh,
    connectConcurrency: config.connectConcurrency,
    log,
  });

  let lastReports = 0;
  let lastSummaryMs = Date.now();
  const summary = setInterval(() => {
    const stats = fleet.stats();
    const nowMs = Date.now();
    const reportsPerS = ((stats.reportsPublished - lastReports) * 1_000) / Math.max(1, nowMs - lastSummaryMs);
    lastReports = stats.reportsPublished;
    lastSummaryMs = nowMs;
    log(formatSummary(stats, reportsPerS, new Date(nowMs)));
  }, config.summaryIntervalMs);

  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting without waiting`);
        process.exit(EXIT_FAILURE);
      }
      stopping = true;
      log(`${signal}: stopping, saving state to ${fleet.stateDir}`);
      clearInterval(summary);
      fleet.stop().then(
        () => resolve(EXIT_OK),
        (error: unknown) => {
          process.stderr.write(`umeme-sim: stopping failed: ${String(error)}\n`);
          resolve(EXIT_FAILURE);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  log(
    `${credentials.length} meter(s) → ${config.url}, report every ${config.publishIntervalMs / 1_000} s` +
      `${config.legacy ? ', legacy payload' : ''}, seed ${config.seed}, state in ${config.stateDir}`,
  );
  try {
    await fleet.start();
  } catch (error) {
    clearInterval(summary);
    process.stderr.write(`umeme-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    await fleet.stop().catch(() => undefined);
    return EXIT_FAILURE;
  }
  if (!stopping) log(`${fleet.stats().connected}/${credentials.length} meter(s) connected`);
  return stopped;
}

const code = await main(process.argv.slice(2));
process.exit(code);
