import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { TOPIC_ROOT } from '@umeme/protocol';
import { SERVER_SESSIONS_ROOT } from './session-handover';
import type { Logger } from 'pino';

/**
 * Mosquitto's dynamic-security plugin, driven over `$CONTROL/dynamic-security/v1` (Mosquitto
 * 2.0): the server keeps one broker client per meter (username = client id = meter number)
 * and one for its own instances, each with a role that allows exactly what docs/design.md §4 allows.
 *
 * One role per meter: Mosquitto 2.0's dynsec matches ACL topics literally (no `%c`/`%u`
 * substitution; that arrived after 2.0), so a shared role cannot say "its own meter number".
 */

export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = '$CONTROL/dynamic-security/v1/response';
/** how long one control command may take before the caller gets an error */
export const DYNSEC_COMMAND_TIMEOUT_MS = 10_000;
/** clients listed per listClients page */
export const DYNSEC_LIST_PAGE = 1000;
/** control commands awaiting a response at once */
const DYNSEC_MAX_IN_FLIGHT = 500;

type AclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';

interface Acl {
  acltype: AclType;
  topic: string;
  allow: boolean;
  priority?: number;
}

export interface DynsecClientInfo {
  username: string;
  clientid?: string;
  textname?: string;
  textdescription?: string;
  disabled?: boolean;
  roles?: { rolename: string; priority?: number }[];
}

interface DynsecRoleInfo {
  rolename: string;
  textdescription?: string;
  acls?: Acl[];
}

export class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`dynsec ${command}: ${reason}`);
  }
}

/** The tag in `textdescription` that marks a broker client or role as this deployment's. */
export const ownerTag = (deployment: string) => `umeme:${deployment}`;
export const meterRoleName = (deployment: string, meterNo: string) => `umeme-${deployment}-meter-${meterNo}`;
export const serverRoleName = (deployment: string) => `umeme-${deployment}-server`;
export const serverUsername = (deployment: string) => `umeme-${deployment}-server`;

/** A meter publishes its three report topics and reads only its own commands. */
export function meterAcls(meterNo: string): Acl[] {
  const own = `${TOPIC_ROOT}/${meterNo}`;
  return [
    { acltype: 'publishClientSend', topic: `${own}/consumption`, allow: true },
    { acltype: 'publishClientSend', topic: `${own}/status`, allow: true },
    { acltype: 'publishClientSend', topic: `${own}/balance`, allow: true },
    { acltype: 'subscribePattern', topic: `${own}/command/#`, allow: true },
    { acltype: 'publishClientReceive', topic: `${own}/command/#`, allow: true },
  ];
}

/**
 * A server instance subscribes to exactly the filters it uses (Mosquitto checks the whole
 * `$share/{group}/…` string) and publishes commands; nothing else.
 */
export function serverAcls(subscriptions: string[]): Acl[] {
  return [
    ...subscriptions.map((topic): Acl => ({ acltype: 'subscribeLiteral', topic, allow: true })),
    ...(['consumption', 'balance', 'status'] as const).map((kind): Acl => ({
      acltype: 'publishClientReceive',
      topic: `${TOPIC_ROOT}/+/${kind}`,
      allow: true,
    })),
    { acltype: 'publishClientSend', topic: `${TOPIC_ROOT}/+/command/+`, allow: true },
    // the instances' death notices (session-handover.ts): published as a Will, read and cleared
    ...subscriptions
      .filter((topic) => topic.startsWith(`${SERVER_SESSIONS_ROOT}/`))
      .flatMap((topic): Acl[] => [
        { acltype: 'publishClientReceive', topic, allow: true },
        { acltype: 'publishClientSend', topic, allow: true },
      ]),
  ];
}

/** Everything not granted by a role is refused, receiving included. */
export const DEFAULT_ACL_ACCESS = [
  { acltype: 'publishClientSend', allow: false },
  { acltype: 'publishClientReceive', allow: false },
  { acltype: 'subscribe', allow: false },
  { acltype: 'unsubscribe', allow: true },
] as const;

/** Order-insensitive comparison of two ACL lists (priority 0 and missing are the same). */
export function sameAcls(a: readonly Acl[], b: readonly Acl[]): boolean {
  const key = (x: Acl) => `${x.acltype}\u0000${x.topic}\u0000${x.allow}\u0000${x.priority ?? 0}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

/**
 * The control connection: its own MQTT client with the dynsec admin account from MQTT_URL
 * (clean session, so it leaves nothing on the broker). Every instance sees every response;
 * each command carries a correlation id and only its own caller takes the answer.
 */
export class DynsecControl {
  private client: MqttClient | null = null;
  private readonly waiting = new Map<
    string,
    { resolve: (r: DynsecResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private inFlight = 0;
  private readonly slots: (() => void)[] = [];

  constructor(
    private readonly opts: {
      url: string;
      username: string;
      password: string;
      clientId: string;
      /** the CA that signed an mqtts:// broker's certificate, when it is a private one */
      ca?: Buffer;
      logger: Logger;
    },
  ) {}

  async connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.opts.url, {
      username: this.opts.username,
      password: this.opts.password,
      clientId: this.opts.clientId,
      clean: true,
      protocolVersion: 5,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
    });
    client.on('error', (err) =>
      this.opts.logger.warn({ err: err.message }, 'dynsec control connection error'),
    );
    client.on('message', (_topic, payload) => this.onResponse(payload));
    this.client = client;
    const granted = await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
    if (granted.some((g) => g.qos >= 128)) {
      throw new DynsecError('subscribe', 'the MQTT_URL account may not read dynsec responses (not an admin)');
    }
  }

  async close(): Promise<void> {
    for (const [, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new Error('dynsec control closed'));
    }
    this.waiting.clear();
    await this.client?.endAsync(true);
    this.client = null;
  }

  private onResponse(payload: Buffer): void {
    let parsed: { responses?: DynsecResponse[] };
    try {
      parsed = JSON.parse(payload.toString('utf8')) as { responses?: DynsecResponse[] };
    } catch {
      return;
    }
    for (const r of parsed.responses ?? []) {
      const id = r.correlationData;
      const w = id === undefined ? undefined : this.waiting.get(id);
      if (!w || id === undefined) continue;
      this.waiting.delete(id);
      clearTimeout(w.timer);
      w.resolve(r);
    }
  }

  /** Sends one command; resolves with its data, rejects with the plugin's error. */
  async command<T = unknown>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const r = await this.raw(command, args);
    if (r.error) throw new DynsecError(command, r.error);
    return r.data as T;
  }

  /** Like command(), but returns the plugin's error text instead of throwing it. */
  async raw(command: string, args: Record<string, unknown> = {}): Promise<DynsecResponse> {
    const client = this.client;
    if (!client) throw new DynsecError(command, 'not connected');
    if (this.inFlight >= DYNSEC_MAX_IN_FLIGHT) await new Promise<void>((r) => this.slots.push(r));
    this.inFlight++;
    try {
      const correlationData = randomUUID();
      const answered = new Promise<DynsecResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiting.delete(correlationData);
          reject(new DynsecError(command, 'no response from the broker'));
        }, DYNSEC_COMMAND_TIMEOUT_MS);
        this.waiting.set(correlationData, { resolve, reject, timer });
      });
      await client.publishAsync(
        DYNSEC_TOPIC,
        JSON.stringify({ commands: [{ command, ...args, correlationData }] }),
        { qos: 1 },
      );
      return await answered;
    } finally {
      this.inFlight--;
      this.slots.shift()?.();
    }
  }

  async listClients(): Promise<DynsecClientInfo[]> {
    const all: DynsecClientInfo[] = [];
    for (let offset = 0; ; offset += DYNSEC_LIST_PAGE) {
      const data = await this.command<{ totalCount: number; clients: DynsecClientInfo[] }>('listClients', {
        verbose: true,
        count: DYNSEC_LIST_PAGE,
        offset,
      });
      all.push(...data.clients);
      if (data.clients.length < DYNSEC_LIST_PAGE || all.length >= data.totalCount) return all;
    }
  }

  async listRoles(): Promise<DynsecRoleInfo[]> {
    const all: DynsecRoleInfo[] = [];
    for (let offset = 0; ; offset += DYNSEC_LIST_PAGE) {
      const data = await this.command<{ totalCount: number; roles: DynsecRoleInfo[] }>('listRoles', {
        verbose: true,
        count: DYNSEC_LIST_PAGE,
        offset,
      });
      all.push(...data.roles);
      if (data.roles.length < DYNSEC_LIST_PAGE || all.length >= data.totalCount) return all;
    }
  }

  /** Creates the role, or gives an existing one exactly these ACLs. */
  async putRole(rolename: string, textdescription: string, acls: Acl[]): Promise<void> {
    const created = await this.raw('createRole', { rolename, textdescription, acls });
    if (!created.error) return;
    if (!/already exists/i.test(created.error)) throw new DynsecError('createRole', created.error);
    await this.command('modifyRole', { rolename, textdescription, acls });
  }
}
