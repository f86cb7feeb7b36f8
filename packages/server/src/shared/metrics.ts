import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per app instance so tests can run several side by side. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    mqttRejected: new Counter({
      name: 'umeme_mqtt_rejected_total',
      help: 'MQTT payloads dropped at the edge, by reason',
      labelNames: ['topic_kind', 'reason'] as const,
      registers: [registry],
    }),
    mqttAuthFailures: new Counter({
      name: 'umeme_mqtt_auth_failures_total',
      help: 'MQTT connections refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    mqttAclDenied: new Counter({
      name: 'umeme_mqtt_acl_denied_total',
      help: 'MQTT publishes or subscriptions refused by the ACL',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    dynsecDrift: new Counter({
      name: 'umeme_mqtt_dynsec_drift_total',
      help: 'Differences between the broker accounts (Mosquitto dynamic security) and the database found at reconciliation, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    dynsecUnprovisioned: new Gauge({
      name: 'umeme_mqtt_dynsec_unprovisioned_meters',
      help: 'Active meters without a broker account at the last reconciliation (rotate and re-flash them)',
      registers: [registry],
    }),
    ingestReports: new Counter({
      name: 'umeme_ingest_reports_total',
      help: 'Consumption reports applied, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ingestQueue: new Gauge({
      name: 'umeme_ingest_queue_length',
      help: 'Reports waiting to be applied',
      registers: [registry],
    }),
    ingestBatchSize: new Histogram({
      name: 'umeme_ingest_batch_size',
      help: 'Reports per ingest transaction',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    ingestCommitSeconds: new Histogram({
      name: 'umeme_ingest_commit_seconds',
      help: 'Time from a report reaching the server to its commit',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    credits: new Counter({
      name: 'umeme_credits_total',
      help: 'Credits applied, by source and outcome',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    commandsPublished: new Counter({
      name: 'umeme_commands_published_total',
      help: 'Commands published to meters',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    alertsOpened: new Counter({
      name: 'umeme_alerts_opened_total',
      help: 'Alerts opened, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    pushSent: new Counter({
      name: 'umeme_push_sent_total',
      help: 'Web push notices handed to push services, by kind and outcome (sent, gone, failed)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
