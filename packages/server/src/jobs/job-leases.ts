import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import {
  JOB_LEASE_CHECK_MS,
  JOB_LEASE_CONNECT_TIMEOUT_MS,
  JOB_LEASE_LOCK_CLASS,
  JOB_LEASE_QUERY_TIMEOUT_MS,
} from './jobs.limits';

/** A scheduled job that must run on one live instance at a time. */
export interface RunOnceJob {
  /** Stable across versions: it names the lock. */
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface JobLeaseState {
  /** This instance holds the job's lease and runs it. */
  held: boolean;
  /** When this instance last took the lease (ISO), or null. */
  since: string | null;
}

/**
 * Work that must run once runs once (issue 16 item 2). On PostgreSQL every job has a session
 * advisory lock, taken on a connection of its own (not the pool's: a session lock lives as long
 * as its connection). The holder runs the job; the others try again every JOB_LEASE_CHECK_MS.
 * When the holder closes, dies or loses its connection, PostgreSQL ends its session and frees
 * the locks, and another instance takes them at its next try. The holder checks its connection
 * at the same pace and stops its jobs as soon as a check fails, so two instances overlap at most
 * for one check interval after a network partition (the jobs are idempotent besides).
 * On PGlite there is one instance: it holds every lease.
 */
export class JobLeases {
  private readonly jobs = new Map<string, { job: RunOnceJob; since: Date | null; busy: Promise<void> }>();
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private closed = false;
  private started = false;
  private readonly gauge: Gauge<'job'>;

  constructor(
    private readonly opts: {
      /** null: one instance on PGlite, which always holds. */
      databaseUrl: string | null;
      instanceId: string;
      logger: Logger;
      registry: Registry;
      checkIntervalMs?: number;
    },
  ) {
    this.gauge = new Gauge({
      name: 'umeme_job_lease_held',
      help: 'Whether this instance holds the lease of a run-once job (1) or not (0)',
      labelNames: ['job'],
      registers: [opts.registry],
    });
  }

  /** Registers a job; it starts once this instance holds its lease. */
  add(job: RunOnceJob): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} registered twice`);
    this.jobs.set(job.name, { job, since: null, busy: Promise.resolve() });
    this.gauge.set({ job: job.name }, 0);
    if (!this.started || this.closed) return;
    // Without PostgreSQL this instance is the only one; with it, the next check takes it at once
    // or, when one is under way, within a check interval.
    if (this.opts.databaseUrl === null) void this.take(job.name);
    else void this.check();
  }

  /** Starts taking leases (at once, then every check interval). */
  async start(): Promise<void> {
    this.started = true;
    await this.check();
    if (this.opts.databaseUrl === null || this.closed) return;
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs ?? JOB_LEASE_CHECK_MS);
    this.timer.unref();
  }

  /** Who holds what, as this instance sees it. */
  state(): Record<string, JobLeaseState> {
    const out: Record<string, JobLeaseState> = {};
    for (const [name, e] of this.jobs)
      out[name] = { held: e.since !== null, since: e.since?.toISOString() ?? null };
    return out;
  }

  /** Stops every job this instance runs and frees its leases. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    await this.release();
  }

  private check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.closed) return;
    if (this.opts.databaseUrl === null) {
      for (const name of this.jobs.keys()) await this.take(name);
      return;
    }
    try {
      const client = await this.connection();
      const wanted = [...this.jobs].filter(([, e]) => e.since === null).map(([name]) => name);
      // One round trip: it both proves the connection (and so the locks held) alive and tries
      // the leases not held yet.
      const { rows } = await client.query<{ name: string | null; got: boolean | null }>(
        `SELECT w.name, pg_try_advisory_lock($1::int, hashtext(w.name)) AS got
           FROM (SELECT unnest($2::text[]) AS name) w
         UNION ALL SELECT NULL, NULL`,
        [JOB_LEASE_LOCK_CLASS, wanted],
      );
      for (const r of rows) if (r.name !== null && r.got === true) await this.take(r.name);
    } catch (err) {
      if (this.closed) return;
      this.opts.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'job leases: connection to PostgreSQL lost; stopping the jobs this instance ran',
      );
      await this.release();
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client !== null) return this.client;
    const client = new pg.Client({
      connectionString: this.opts.databaseUrl!,
      application_name: `umeme-jobs/${this.opts.instanceId}/${randomBytes(3).toString('hex')}`,
      connectionTimeoutMillis: JOB_LEASE_CONNECT_TIMEOUT_MS,
      query_timeout: JOB_LEASE_QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    // An error on an idle connection (server restart) must not crash the process; the next
    // check notices and gives the leases up.
    client.on('error', () => {
      if (this.client === client) this.client = null;
    });
    client.on('end', () => {
      if (this.client === client) this.client = null;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async take(name: string): Promise<void> {
    const e = this.jobs.get(name);
    if (!e || e.since !== null || this.closed) return;
    e.since = new Date();
    this.gauge.set({ job: name }, 1);
    this.opts.logger.info({ job: name }, 'job lease taken: this instance runs the job');
    e.busy = e.busy.then(async () => {
      try {
        await e.job.start();
      } catch (err) {
        this.opts.logger.error({ err, job: name }, 'a run-once job failed to start');
      }
    });
    await e.busy;
  }

  /** Stops every job this instance runs and ends the lease connection (freeing its locks). */
  private async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    for (const [name, e] of this.jobs) {
      if (e.since === null) continue;
      e.since = null;
      this.gauge.set({ job: name }, 0);
      e.busy = e.busy.then(async () => {
        try {
          await e.job.stop();
        } catch (err) {
          this.opts.logger.error({ err, job: name }, 'a run-once job failed to stop');
        }
      });
      await e.busy;
      if (!this.closed) this.opts.logger.warn({ job: name }, 'job lease lost: this instance stopped the job');
    }
    // Ending the session frees every advisory lock it held.
    await client?.end().catch(() => undefined);
  }
}

/** A service with its own timer (start/stop) as a run-once job. */
export function runOnce(name: string, service: { start(): unknown; stop(): unknown }): RunOnceJob {
  return {
    name,
    start: async () => {
      await service.start();
    },
    stop: async () => {
      await service.stop();
    },
  };
}
