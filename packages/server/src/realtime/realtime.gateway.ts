import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import {
  centsText,
  METER_NO_PATTERN_SOURCE,
  SOCKET_NAMESPACE,
  type BalanceInitial,
  type BalanceUpdated,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SubscribeMeterAck,
} from '@umeme/protocol';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { SessionGuard } from '../auth/sessions';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { can, seesEverything, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { AlertChanged, DomainEvents, EventBus, MeterChanged } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { Coalescer } from './coalescer';
import {
  ADMINS_ROOM,
  balanceInsufficientFrom,
  balanceUpdatedFrom,
  crossedZero,
  mergeBalanceUpdates,
  METER_ROOM_PREFIX,
  meterRoom,
  meterRooms,
  meterStatusFrom,
  notificationFrom,
  paymentFailedFrom,
  paymentSuccessFrom,
  transactionCompletedFrom,
  transactionFailedFrom,
  topupUpdatedFrom,
  userRoom,
} from './realtime.events';
import { REALTIME_LIMITS } from './realtime.limits';
import { RealtimeService } from './realtime.service';
import { guardRecovery } from './recovery-guard';
import { redisNames, withSettledSessionWrites } from './redis-adapter';
import { mayReach, replayAdapter } from './replay-adapter';
import { connectError, limitClientEvents, TooManyConnections } from './socket-guards';

type UserCaller = Extract<Caller, { kind: 'user' }>;

interface SocketData {
  caller: UserCaller;
  tokenExpiresAtMs: number;
  /** meters this socket watches through subscribe_meter */
  watched: string[];
}

type InterServerEvents = Record<string, never>;
type BalanceNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type BalanceSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

interface RealtimeDeps {
  httpServer: HttpServer;
  sessions: SessionGuard;
  db: Db;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  config: Pick<Config, 'REDIS_URL' | 'SOCKET_RECOVERY_S' | 'SOCKET_MAX_PER_USER' | 'DEPLOYMENT_NAME'>;
  /** whether friendly hours are on now: an input of the server's relay decision events carry */
  friendlyHoursNow?: () => boolean;
}

interface PendingUpdate {
  payload: BalanceUpdated;
  rooms: string[];
}

const meterNoPattern = new RegExp(METER_NO_PATTERN_SOURCE);

/**
 * The browser realtime gateway (docs/design.md §5): Socket.IO namespace `/balance` on the app's HTTP
 * server. It turns domain events into socket events for the rooms entitled to them. Each
 * instance emits only the changes it made itself; with Redis the adapter carries them to the
 * sockets of every other instance.
 */
export class RealtimeGateway {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  readonly nsp: BalanceNamespace;
  private readonly service: RealtimeService;
  private readonly coalescer: Coalescer<PendingUpdate>;
  private readonly socketsPerUser = new Map<string, number>();
  private readonly listeners: (() => void)[] = [];
  private readonly connected: Gauge;
  private readonly refused: Counter<'reason'>;
  private readonly emitted: Counter<'event'>;
  private closed = false;

  private constructor(
    private readonly deps: RealtimeDeps,
    private readonly redis: Redis | null,
  ) {
    const recoveryMs = deps.config.SOCKET_RECOVERY_S * 1000;
    this.io = new Server(deps.httpServer, {
      serveClient: false,
      maxHttpBufferSize: REALTIME_LIMITS.maxClientFrameBytes,
      pingInterval: REALTIME_LIMITS.pingIntervalMs,
      pingTimeout: REALTIME_LIMITS.pingTimeoutMs,
      connectTimeout: REALTIME_LIMITS.connectTimeoutMs,
      // A recovered socket is checked again: its token may have expired meanwhile.
      connectionStateRecovery: { maxDisconnectionDuration: recoveryMs, skipMiddlewares: false },
      ...(redis
        ? {
            adapter: createAdapter(withSettledSessionWrites(redis, deps.logger), {
              // Named per deployment: two deployments on one Redis must not read each other's events.
              ...redisNames(deps.config.DEPLOYMENT_NAME),
              maxLen: REALTIME_LIMITS.redisStreamMaxLen,
              blockTimeInMs: REALTIME_LIMITS.redisBlockMs,
              onlyPlaintext: true,
            }),
          }
        : {}),
    });
    if (!redis)
      this.io.adapter(
        replayAdapter(this.io.adapter(), {
          maxPackets: REALTIME_LIMITS.recoveryBufferPackets,
          recoveryMs,
        }),
      );
    // Browsers use /balance only; the default namespace would take any socket, without a token.
    this.io.of('/').use((_socket, next) => next(new Error('Invalid namespace')));
    this.nsp = this.io.of(SOCKET_NAMESPACE);
    this.service = new RealtimeService(deps.db, deps.friendlyHoursNow);
    guardRecovery(
      this.nsp,
      (session) => this.mayStillWatch((session.data as Partial<SocketData>).caller, session.rooms),
      (err) => deps.logger.warn({ err }, 'could not check a recovered session; not recovered'),
    );
    this.coalescer = new Coalescer<PendingUpdate>({
      windowMs: REALTIME_LIMITS.coalesceWindowMs,
      merge: (waiting, incoming) => ({
        payload: mergeBalanceUpdates(waiting.payload, incoming.payload),
        rooms: incoming.rooms,
      }),
      send: (_meterNo, u) => this.emit(u.rooms, 'balance_updated', u.payload),
    });
    const registry = deps.metrics.registry;
    this.connected = new Gauge({
      name: 'umeme_sockets_connected',
      help: 'Browser sockets connected to this instance',
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'umeme_sockets_refused_total',
      help: 'Browser socket connections refused or cut, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    this.emitted = new Counter({
      name: 'umeme_socket_events_total',
      help: 'Events emitted to browser rooms by this instance',
      labelNames: ['event'] as const,
      registers: [registry],
    });
    this.nsp.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(connectError(err)),
      );
    });
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.listen('meter_changed', (c) => this.onMeterChanged(c));
    this.listen('meter_status', (e) => this.onMeterStatus(e));
    this.listen('meter_assigned', (e) => void this.onMeterAssigned(e));
    // Logout, a password change or a disabled account: that user's sockets close on every
    // instance (through the adapter); a reconnect meets the authentication again and fails.
    this.listen('user_sessions_ended', (e) => {
      this.refused.inc({ reason: `sessions_ended_${e.reason}` });
      this.nsp.in(userRoom(e.userId)).disconnectSockets(true);
    });
    this.listen('alert_changed', (a) => this.onAlertChanged(a));
    // Every open console refreshes its alert list when another operator acknowledges one.
    this.listen('alert_acknowledged', (e) =>
      this.emit([ADMINS_ROOM], 'notification', {
        type: 'info',
        kind: 'alert_acknowledged',
        title: 'Alert acknowledged',
        message: `Alert ${e.kind} on ${e.meterNo} was acknowledged${e.closed ? ' and closed' : ''}.`,
        meterNo: e.meterNo,
      }),
    );
    // Operators review payments that matched no request (Payments page, nav badge).
    this.listen('payment_orphaned', (e) =>
      this.emit([ADMINS_ROOM], 'notification', {
        type: 'warning',
        kind: 'payment_orphan',
        title: 'Payment to review',
        message:
          `An M-Pesa payment${e.receipt === null ? '' : ` ${e.receipt}`}` +
          `${e.amountCents === null ? '' : ` of KES ${centsText(e.amountCents)}`} matched no purchase request.`,
      }),
    );
    this.listen('payment_orphan_resolved', (e) =>
      this.emit([ADMINS_ROOM], 'notification', {
        type: 'info',
        kind: 'payment_orphan_resolved',
        title: 'Payment reviewed',
        message: `A payment to review was ${e.resolution}.`,
      }),
    );
    // A decided top-up reaches the customer who asked, and refreshes every console's queue.
    this.listen('topup_processed', (e) => {
      this.emit([userRoom(e.userId)], 'topup_updated', topupUpdatedFrom(e));
      this.emit([ADMINS_ROOM], 'notification', {
        type: 'info',
        kind: 'topup_processed',
        title: 'Top-up decided',
        message: `A top-up request on ${e.meterNo} was ${e.status}.`,
        meterNo: e.meterNo,
      });
    });
    this.listen('topup_requested', (e) =>
      this.emit([ADMINS_ROOM], 'notification', {
        type: 'info',
        kind: 'topup_requested',
        title: 'Top-up to review',
        message: `A top-up of KES ${centsText(e.amountCents)} on ${e.meterNo} waits for review.`,
        meterNo: e.meterNo,
      }),
    );
    // payment_success goes out with the credit's meter_changed (it carries the new balance);
    // a failure changes no balance, so it has its own domain event.
    this.listen('payment_failed', (e) => {
      const rooms = [...meterRooms(e.meterNo, e.userId), ADMINS_ROOM];
      this.emit(rooms, 'payment_failed', paymentFailedFrom(e));
      this.emit(rooms, 'transaction_failed', transactionFailedFrom(e));
    });
  }

  static async attach(deps: RealtimeDeps): Promise<RealtimeGateway> {
    let redis: Redis | null = null;
    let redisDown = false;
    if (deps.config.REDIS_URL) {
      redis = new Redis(deps.config.REDIS_URL, {
        // Reconnect forever: a Redis restart must not need a server restart (RT-3). The
        // adapter's reader and subscriber are duplicates of this client and inherit both.
        retryStrategy: (attempt) =>
          Math.min(attempt * REALTIME_LIMITS.redisReconnectStepMs, REALTIME_LIMITS.redisReconnectMaxMs),
        // While Redis is away a publish fails after a few attempts instead of waiting: the
        // instance's own sockets still get the event, the others refetch on the seq gap.
        maxRetriesPerRequest: REALTIME_LIMITS.redisRetriesPerCommand,
        connectTimeout: 10_000,
      });
      const log = deps.logger.child({ part: 'redis' });
      redis.on('error', (err) => {
        if (!redisDown) log.warn({ err: err.message }, 'redis connection lost; reconnecting');
        redisDown = true;
      });
      try {
        await redis.ping();
      } catch (err) {
        redis.disconnect();
        throw new Error(`REDIS_URL: Redis does not answer (${(err as Error).message}).`, { cause: err });
      }
    }
    const gateway = new RealtimeGateway(deps, redis);
    redis?.on('ready', () => {
      if (!redisDown) return;
      redisDown = false;
      deps.logger.child({ part: 'redis' }).info('redis connection restored; resending balance_initial');
      void gateway.resendSnapshots();
    });
    return gateway;
  }

  /**
   * Sends every local socket a fresh `balance_initial`, as on a reconnect. After Redis was
   * away, sockets here may have missed other instances' events with no later event to show
   * the gap (a payment on a quiet meter); the snapshot is read from the database, the record.
   */
  async resendSnapshots(): Promise<void> {
    const sockets = [...this.nsp.sockets.values()];
    for (let i = 0; i < sockets.length && !this.closed; i += REALTIME_LIMITS.resendSnapshotConcurrency) {
      await Promise.all(
        sockets
          .slice(i, i + REALTIME_LIMITS.resendSnapshotConcurrency)
          .map((socket) => this.sendSnapshot(socket, (initial) => socket.emit('balance_initial', initial))),
      );
    }
  }

  /**
   * A meter changed hands. Across every instance (through the adapter), the previous owner's
   * sockets leave its room at once: they must not hear the new household's consumption. Then
   * both owners' sockets here get a fresh `balance_initial`, which also joins the new owner's
   * sockets to the room; sockets on other instances get theirs on their next snapshot.
   */
  private async onMeterAssigned(e: DomainEvents['meter_assigned'][0]): Promise<void> {
    if (this.closed) return;
    const room = meterRoom(e.meterNo);
    const users = [e.from, e.to].filter((u): u is string => u !== null);
    try {
      if (e.from !== null) this.nsp.in(userRoom(e.from)).socketsLeave(room);
      if (e.to !== null) this.nsp.in(userRoom(e.to)).socketsJoin(room);
    } catch (err) {
      this.deps.logger.warn({ err, meterNo: e.meterNo }, 'could not move sockets between meter rooms');
    }
    const local = [...this.nsp.sockets.values()].filter((s) => users.includes(s.data.caller.userId));
    // A customer's subscribe_meter on the meter ends with its ownership (sockets on other
    // instances drop it on their next snapshot, and a recovered session is checked again).
    for (const socket of local) {
      if (!seesEverything(socket.data.caller) && socket.data.caller.userId === e.from)
        socket.data.watched = socket.data.watched.filter((m) => m !== e.meterNo);
    }
    await Promise.all(
      local.map((socket) => this.sendSnapshot(socket, (initial) => socket.emit('balance_initial', initial))),
    );
  }

  /**
   * Whether a socket that held `rooms` when it dropped may have them all back: every meter
   * room still passes the access rule for its caller (the meter did not change hands).
   */
  private async mayStillWatch(caller: UserCaller | undefined, rooms: readonly string[]): Promise<boolean> {
    if (caller === undefined) return false;
    const meterNos = rooms
      .filter((r) => r.startsWith(METER_ROOM_PREFIX))
      .map((r) => r.slice(METER_ROOM_PREFIX.length));
    const entitled = await this.service.watchableMeters(caller, meterNos);
    return meterNos.every((m) => entitled.has(m));
  }

  /** Sockets connected to this instance. */
  get localSockets(): number {
    return this.nsp.sockets.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.listeners.splice(0)) off();
    this.coalescer.close();
    // Local only: through a shared adapter this would cut every instance's sockets.
    this.nsp.local.disconnectSockets(true);
    // Not io.close(): that closes the HTTP server, which belongs to Fastify.
    await Promise.allSettled([this.nsp.adapter.close(), this.io.of('/').adapter.close()]);
    this.io.engine.close();
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  private listen<K extends keyof DomainEvents>(event: K, handle: (...args: DomainEvents[K]) => void): void {
    // A listener that throws would surface in the service that emitted, after its commit.
    const safe = (...args: DomainEvents[K]) => {
      try {
        handle(...args);
      } catch (err) {
        this.deps.logger.error({ err, event }, 'realtime gateway failed to handle an event');
      }
    };
    const bus = this.deps.bus as unknown as NodeJS.EventEmitter;
    bus.on(event, safe as (...a: unknown[]) => void);
    this.listeners.push(() => bus.off(event, safe as (...a: unknown[]) => void));
  }

  private emit<E extends keyof ServerToClientEvents>(
    rooms: string[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
  ): void {
    if (this.closed || !mayReach(this.nsp, rooms)) return;
    this.emitted.inc({ event });
    (this.nsp.to(rooms).emit as (e: E, p: typeof payload) => boolean)(event, payload);
  }

  private onMeterChanged(c: MeterChanged): void {
    const rooms = meterRooms(c.meterNo, c.userId);
    // Nobody watches most meters of a fleet most of the time: then there is nothing to build.
    const watched = mayReach(this.nsp, rooms);
    const zero = crossedZero(c);
    if (c.cause === 'consumption' && !zero) {
      if (watched)
        this.coalescer.offer(c.meterNo, { payload: balanceUpdatedFrom(c, this.friendly()), rooms });
      return;
    }
    if (!watched && !mayReach(this.nsp, [ADMINS_ROOM])) return;
    const update = balanceUpdatedFrom(c, this.friendly());
    // Immediate events go out in seq order: whatever consumption update waits goes first.
    this.coalescer.flush(c.meterNo);
    this.emit(rooms, 'balance_updated', update);
    const completed = transactionCompletedFrom(c);
    if (completed) this.emit([...rooms, ADMINS_ROOM], 'transaction_completed', completed);
    const paid = paymentSuccessFrom(c);
    if (paid) this.emit([...rooms, ADMINS_ROOM], 'payment_success', paid);
    if (zero) this.emit([...rooms, ADMINS_ROOM], 'balance_insufficient', balanceInsufficientFrom(c));
  }

  private friendly(): boolean {
    return this.deps.friendlyHoursNow?.() ?? false;
  }

  private onMeterStatus(e: DomainEvents['meter_status'][0]): void {
    this.coalescer.flush(e.meterNo);
    this.emit([...meterRooms(e.meterNo, e.userId), ADMINS_ROOM], 'meter_status', meterStatusFrom(e));
  }

  private onAlertChanged(a: AlertChanged): void {
    const n = notificationFrom(a);
    if (!n) return;
    const rooms = n.toOwner && a.userId !== null ? [userRoom(a.userId), ADMINS_ROOM] : [ADMINS_ROOM];
    this.emit(rooms, 'notification', n.payload);
  }

  private async authenticate(socket: BalanceSocket): Promise<void> {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > REALTIME_LIMITS.tokenMaxChars) {
      throw new AppError('UNAUTHENTICATED');
    }
    const { kind, userId, role, expiresAtMs, mustChangePassword } =
      await this.deps.sessions.authenticate(token);
    if (mustChangePassword) throw new AppError('PASSWORD_CHANGE_REQUIRED');
    const caller: UserCaller = { kind, userId, role };
    if ((this.socketsPerUser.get(caller.userId) ?? 0) >= this.deps.config.SOCKET_MAX_PER_USER) {
      throw new TooManyConnections();
    }
    socket.data.caller = caller;
    socket.data.tokenExpiresAtMs = expiresAtMs;
    socket.data.watched = socket.recovered ? (socket.data.watched ?? []) : [];
  }

  private onConnection(socket: BalanceSocket): void {
    const { caller } = socket.data;
    const count = (this.socketsPerUser.get(caller.userId) ?? 0) + 1;
    this.socketsPerUser.set(caller.userId, count);
    this.connected.inc();
    socket.once('disconnect', () => {
      this.connected.dec();
      const left = (this.socketsPerUser.get(caller.userId) ?? 1) - 1;
      if (left <= 0) this.socketsPerUser.delete(caller.userId);
      else this.socketsPerUser.set(caller.userId, left);
    });
    if (count > this.deps.config.SOCKET_MAX_PER_USER) {
      this.refused.inc({ reason: 'too_many_connections' });
      socket.disconnect(true);
      return;
    }
    // Cut the socket when its token expires: it must sign in again to keep listening.
    const expiry = setTimeout(
      () => socket.disconnect(true),
      Math.min(Math.max(socket.data.tokenExpiresAtMs - Date.now(), 0), 2 ** 31 - 1),
    );
    expiry.unref();
    socket.once('disconnect', () => clearTimeout(expiry));
    limitClientEvents(socket, () => this.refused.inc({ reason: 'client_flood' }));
    void socket.join(
      // The operators' feed: every role that may read the console, and no other.
      can(caller, 'console.view') ? [userRoom(caller.userId), ADMINS_ROOM] : [userRoom(caller.userId)],
    );
    // The original clients ask without an acknowledgement and listen for balance_initial.
    socket.on('get_current_balance', (ack) => {
      void this.sendSnapshot(
        socket,
        typeof ack === 'function' ? ack : (i) => socket.emit('balance_initial', i),
      );
    });
    socket.on('subscribe_meter', (meterNo, ack) => {
      void this.subscribe(socket, meterNo).then((answer) => {
        if (typeof ack === 'function') ack(answer);
      });
    });
    socket.on('unsubscribe_meter', (meterNo, ack) => {
      if (typeof meterNo === 'string' && socket.data.watched.includes(meterNo)) {
        socket.data.watched = socket.data.watched.filter((m) => m !== meterNo);
        void socket.leave(meterRoom(meterNo));
      }
      if (typeof ack === 'function') ack({ ok: true });
    });
    void this.sendSnapshot(socket, (initial) => socket.emit('balance_initial', initial));
  }

  /**
   * Joins the rooms of the meters the user owns now and leaves those it no longer owns. The
   * socket is already in its user room, which hears every change of the user's meters, so
   * nothing that changes after the read is lost.
   */
  private async sendSnapshot(
    socket: BalanceSocket,
    deliver: (initial: BalanceInitial) => void,
  ): Promise<void> {
    const { caller } = socket.data;
    try {
      const meters = await this.service.snapshotForUser(
        caller,
        caller.userId,
        REALTIME_LIMITS.snapshotMeters,
      );
      // Watched meters are checked again: one may have changed hands since it was subscribed.
      if (socket.data.watched.length > 0) {
        const still = await this.service.watchableMeters(caller, socket.data.watched);
        socket.data.watched = socket.data.watched.filter((m) => still.has(m));
      }
      const owned = new Set(meters.map((m) => meterRoom(m.meterNo)));
      const watched = new Set(socket.data.watched.map(meterRoom));
      for (const room of socket.rooms) {
        if (room.startsWith(METER_ROOM_PREFIX) && !owned.has(room) && !watched.has(room))
          void socket.leave(room);
      }
      await socket.join([...owned]);
      const only = meters.length === 1 ? meters[0] : undefined;
      const original = only ? { balance: only.balance, meterNo: only.meterNo } : {};
      if (socket.connected) deliver({ meters, timestamp: Date.now(), ...original });
    } catch (err) {
      this.deps.logger.warn({ err, userId: caller.userId }, 'could not read the balance snapshot');
    }
  }

  private async subscribe(socket: BalanceSocket, meterNo: unknown): Promise<SubscribeMeterAck> {
    const notFound = { ok: false as const, error: 'METER_NOT_FOUND', message: 'Meter not found.' };
    if (typeof meterNo !== 'string' || !meterNoPattern.test(meterNo)) return notFound;
    try {
      const meter = await this.service.snapshotForMeter(socket.data.caller, meterNo);
      if (!socket.data.watched.includes(meterNo)) {
        if (socket.data.watched.length >= REALTIME_LIMITS.watchedMetersPerSocket) {
          return { ok: false, error: 'TOO_MANY_METERS', message: 'Unsubscribe from a meter first.' };
        }
        socket.data.watched = [...socket.data.watched, meterNo];
      }
      await socket.join(meterRoom(meterNo));
      return { ok: true, meter };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, error: err.code, message: err.message };
      this.deps.logger.warn({ err, meterNo }, 'subscribe_meter failed');
      return { ok: false, error: 'INTERNAL', message: 'Something went wrong on our side.' };
    }
  }
}
