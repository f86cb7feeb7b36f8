import { createServer } from 'node:net';
import { buildApp, StartupError } from './app';
import { ConfigError, loadConfig } from './config';
import { startDemo } from './demo/demo';

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Outside production, a default port that is taken (Mosquitto on 1883, another app on 3000)
 * moves to the next free one so that `npm start` just works; a port set explicitly never moves.
 */
async function settleDefaultPort(name: 'PORT' | 'MQTT_PORT', port: number, host: string): Promise<number> {
  if (process.env[name] !== undefined || port === 0) return port;
  for (let candidate = port; candidate < port + 20; candidate++) {
    if (await portIsFree(candidate, host)) {
      if (candidate !== port) {
        console.warn(`${name} ${port} is in use; using ${candidate} instead (set ${name} to choose).`);
      }
      return candidate;
    }
  }
  return port;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Umeme will not start.\n${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (config.NODE_ENV !== 'production') {
    config = {
      ...config,
      PORT: await settleDefaultPort('PORT', config.PORT, config.HOST),
      ...(config.MQTT_URL
        ? {}
        : { MQTT_PORT: await settleDefaultPort('MQTT_PORT', config.MQTT_PORT, config.MQTT_HOST) }),
    };
  }
  const app = buildApp(config);
  let stopDemo: (() => Promise<void>) | null = null;
  const shutdown = async (signal: string) => {
    app.logger.info({ signal }, 'shutting down');
    await stopDemo?.().catch(() => {});
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('unhandledRejection', (err) => app.logger.error({ err }, 'unhandled rejection'));
  try {
    await app.start();
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(`\nUmeme could not start: ${err.message}\n`);
      await app.close();
      process.exit(1);
    }
    throw err;
  }
  if (config.mode.demo) stopDemo = await startDemo(app);
}

// A start-up that fails in an unforeseen way must not end with exit code 0: supervisors
// (Docker, systemd) restart only a process that failed.
main().catch((err: unknown) => {
  console.error('Umeme could not start:', err);
  process.exit(1);
});
