import type { Logger } from 'pino';
import type { Queryable } from '../db/db';
import type { Metrics } from '../shared/metrics';
import {
  DEFAULT_ACL_ACCESS,
  DynsecError,
  meterAcls,
  meterRoleName,
  ownerTag,
  sameAcls,
  serverAcls,
  serverRoleName,
  serverUsername,
  type DynsecClientInfo,
  type DynsecControl,
} from './dynsec';

/**
 * Meter accounts kept on an external broker. The meters service calls these inside the
 * transaction that changes the database, so a broker that refuses the change rolls it back.
 */
export interface MeterBrokerAccounts {
  /** creates the meter's broker account with this secret, or resets an existing one to it (ending its session) */
  provisionMeter(meterNo: string, secret: string): Promise<void>;
  /** refuses the meter from now on and ends its open session */
  disableMeter(meterNo: string): Promise<void>;
  /** meters that have no broker account of this deployment (so cannot connect), in order */
  unprovisioned(db: Queryable): Promise<string[]>;
}

type DriftKind =
  | 'missing_client'
  | 'foreign_client'
  | 'extra_client'
  | 'extra_role'
  | 'role_acls'
  | 'client_roles'
  | 'enabled_but_revoked'
  | 'disabled_but_active';

interface ReconcileReport {
  meters: number;
  /** drift found and corrected, by kind (missing and foreign clients cannot be: no secret) */
  drift: Partial<Record<DriftKind, number>>;
  /** meters with no usable broker account: rotate their secrets and re-flash them */
  unprovisioned: string[];
}

const METER_PAGE = 5000;
/** broker commands sent at once while reconciling */
const RECONCILE_CONCURRENCY = 16;

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Keeps Mosquitto's dynamic-security state in step with the database (issue 14). */
export class DynsecAccounts implements MeterBrokerAccounts {
  readonly serverUsername: string;
  private readonly tag: string;

  constructor(
    private readonly control: DynsecControl,
    private readonly deployment: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.serverUsername = serverUsername(deployment);
    this.tag = ownerTag(deployment);
  }

  /**
   * Refuses by default, gives the server instances their role and account. An existing server
   * account keeps its password unless `resetPassword` (changing it would end every running
   * instance's session).
   */
  async setup(subscriptions: string[], serverPassword: string, resetPassword = false): Promise<void> {
    await this.control.command('setDefaultACLAccess', { acls: DEFAULT_ACL_ACCESS });
    const rolename = serverRoleName(this.deployment);
    await this.control.putRole(rolename, this.tag, serverAcls(subscriptions));
    const created = await this.control.raw('createClient', {
      username: this.serverUsername,
      password: serverPassword,
      textdescription: this.tag,
      roles: [{ rolename }],
    });
    if (!created.error) return;
    if (!/already exists/i.test(created.error)) throw new DynsecError('createClient', created.error);
    const existing = await this.control.command<{ client: DynsecClientInfo }>('getClient', {
      username: this.serverUsername,
    });
    if (existing.client.textdescription !== this.tag) {
      throw new DynsecError(
        'createClient',
        `a broker client named ${this.serverUsername} exists and is not this deployment's`,
      );
    }
    if (resetPassword)
      await this.control.command('setClientPassword', {
        username: this.serverUsername,
        password: serverPassword,
      });
    if (!existing.client.roles?.some((r) => r.rolename === rolename)) {
      await this.control.command('addClientRole', { username: this.serverUsername, rolename });
    }
    if (existing.client.disabled)
      await this.control.command('enableClient', { username: this.serverUsername });
  }

  async provisionMeter(meterNo: string, secret: string): Promise<void> {
    const rolename = meterRoleName(this.deployment, meterNo);
    await this.control.putRole(rolename, this.tag, meterAcls(meterNo));
    const account = {
      username: meterNo,
      password: secret,
      clientid: meterNo,
      textdescription: this.tag,
      roles: [{ rolename }],
    };
    const created = await this.control.raw('createClient', account);
    if (!created.error) return;
    if (!/already exists/i.test(created.error)) throw new DynsecError('createClient', created.error);
    // An account from before (or one an operator made by hand) is taken over: new secret, our role.
    await this.control.command('modifyClient', account);
    await this.control.command('enableClient', { username: meterNo });
  }

  async disableMeter(meterNo: string): Promise<void> {
    const r = await this.control.raw('disableClient', { username: meterNo });
    // No account: nothing can log in as this meter anyway.
    if (r.error && !/not found/i.test(r.error)) throw new DynsecError('disableClient', r.error);
  }

  async unprovisioned(db: Queryable): Promise<string[]> {
    const clients = new Map((await this.control.listClients()).map((c) => [c.username, c]));
    const out: string[] = [];
    for await (const page of meterPages(db)) {
      for (const m of page) {
        if (m.revoked) continue;
        if (clients.get(m.meter_no)?.textdescription !== this.tag) out.push(m.meter_no);
      }
    }
    return out;
  }

  /** Compares the broker with the database and corrects what it can; see ReconcileReport. */
  async reconcile(db: Queryable): Promise<ReconcileReport> {
    const drift: Partial<Record<DriftKind, number>> = {};
    const found = (kind: DriftKind) => {
      drift[kind] = (drift[kind] ?? 0) + 1;
      this.metrics.dynsecDrift.inc({ kind });
    };
    const clients = await this.control.listClients();
    const roles = new Map((await this.control.listRoles()).map((r) => [r.rolename, r]));
    const byName = new Map(clients.map((c) => [c.username, c]));
    const known = new Set<string>();
    const unprovisioned: string[] = [];
    const fixes: (() => Promise<void>)[] = [];
    let meters = 0;
    for await (const page of meterPages(db)) {
      for (const { meter_no: meterNo, revoked } of page) {
        meters++;
        known.add(meterNo);
        const client = byName.get(meterNo);
        if (!client || client.textdescription !== this.tag) {
          if (revoked) continue;
          found(client ? 'foreign_client' : 'missing_client');
          unprovisioned.push(meterNo);
          continue;
        }
        const rolename = meterRoleName(this.deployment, meterNo);
        const role = roles.get(rolename);
        if (!role || !sameAcls(role.acls ?? [], meterAcls(meterNo))) {
          found('role_acls');
          fixes.push(() => this.control.putRole(rolename, this.tag, meterAcls(meterNo)));
        }
        const clientRoles = client.roles ?? [];
        if (
          clientRoles.length !== 1 ||
          clientRoles[0]!.rolename !== rolename ||
          client.clientid !== meterNo
        ) {
          found('client_roles');
          // After the role exists; modifyClient ends the meter's session, and it reconnects.
          fixes.push(async () => {
            await this.control.putRole(rolename, this.tag, meterAcls(meterNo));
            await this.control.command('modifyClient', {
              username: meterNo,
              clientid: meterNo,
              roles: [{ rolename }],
            });
          });
        }
        if (revoked && !client.disabled) {
          found('enabled_but_revoked');
          fixes.push(() => this.control.command('disableClient', { username: meterNo }));
        } else if (!revoked && client.disabled) {
          found('disabled_but_active');
          fixes.push(() => this.control.command('enableClient', { username: meterNo }));
        }
      }
    }
    const meterRolePrefix = meterRoleName(this.deployment, '');
    for (const c of clients) {
      if (c.textdescription !== this.tag || c.username === this.serverUsername || known.has(c.username))
        continue;
      found('extra_client');
      fixes.push(async () => {
        await this.control.command('deleteClient', { username: c.username });
        await this.control.raw('deleteRole', { rolename: meterRoleName(this.deployment, c.username) });
      });
    }
    for (const [rolename, role] of roles) {
      if (role.textdescription !== this.tag || !rolename.startsWith(meterRolePrefix)) continue;
      const meterNo = rolename.slice(meterRolePrefix.length);
      if (known.has(meterNo) || byName.get(meterNo)?.textdescription === this.tag) continue;
      found('extra_role');
      fixes.push(() => this.control.command('deleteRole', { rolename }).then(() => {}));
    }
    await inParallel(fixes, RECONCILE_CONCURRENCY, async (fix) => {
      await fix();
    });
    this.metrics.dynsecUnprovisioned.set(unprovisioned.length);
    const report = { meters, drift, unprovisioned };
    const corrected = Object.entries(drift).filter(([k]) => k !== 'missing_client' && k !== 'foreign_client');
    if (corrected.length > 0 || unprovisioned.length > 0) {
      this.logger.warn(
        {
          drift,
          unprovisioned: unprovisioned.length,
          firstUnprovisioned: unprovisioned.slice(0, 20),
        },
        'broker accounts differed from the database; corrected what could be, and meters without an account need a new secret (POST /api/admin/meters/rotate-secrets)',
      );
    } else {
      this.logger.info({ meters }, 'broker accounts match the database');
    }
    return report;
  }
}

async function* meterPages(db: Queryable): AsyncGenerator<{ meter_no: string; revoked: boolean }[]> {
  let after = '';
  for (;;) {
    const { rows } = await db.query<{ meter_no: string; revoked: boolean }>(
      `SELECT meter_no, revoked_at IS NOT NULL AS revoked FROM device_credentials
        WHERE meter_no > $1 ORDER BY meter_no LIMIT $2`,
      [after, METER_PAGE],
    );
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.meter_no;
  }
}
