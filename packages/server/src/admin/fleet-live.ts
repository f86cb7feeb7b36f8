import { isOnlineStatus, mwhToKwh } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import { ADMINS_ROOM, billGeneratedFrom, userRoom } from '../realtime/realtime.events';
import { mayReach } from '../realtime/replay-adapter';
import type { EventBus, MeterChanged } from '../shared/events';
import type { AdminService } from './admin.service';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';

/** One changed row of the fleet table, as the admins room receives it in `fleet_update`. */
interface FleetLiveRow {
  meterNo: string;
  seq: number;
  balanceKwh?: number;
  powerW?: number | null;
  relay: 'on' | 'off';
  status: string;
  online: boolean;
  lastSeen: number | null;
}

type Emitter = { emit(event: string, payload: unknown): boolean };

/**
 * Live fleet rows for operators: every meter change is coalesced per meter and the admins room
 * gets at most one `fleet_update` batch per window, so 10,000 reporting meters cost one small
 * message a second. Also forwards `bill_generated` and records presence history.
 */
export class FleetLive {
  private readonly pending = new Map<string, FleetLiveRow>();
  private timer: NodeJS.Timeout | null = null;
  private lastFlushMs = 0;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly nsp: Namespace,
    bus: EventBus,
    admin: AdminService,
    private readonly logger: Logger,
  ) {
    const onChanged = (c: MeterChanged) =>
      this.offer(c.meterNo, {
        meterNo: c.meterNo,
        seq: c.eventSeq,
        balanceKwh: mwhToKwh(c.balanceMwh),
        powerW: c.powerW,
        relay: c.relay,
        status: c.status,
        online: isOnlineStatus(c.status),
        lastSeen: c.lastSeen,
      });
    const onStatus = (e: {
      meterNo: string;
      status: string;
      relay: 'on' | 'off';
      eventSeq: number;
      lastSeen: number | null;
    }) => {
      this.offer(e.meterNo, {
        meterNo: e.meterNo,
        seq: e.eventSeq,
        relay: e.relay,
        status: e.status,
        online: isOnlineStatus(e.status),
        lastSeen: e.lastSeen,
      });
      admin
        .recordStatus(e.meterNo, e.status, e.relay)
        .catch((err: unknown) => this.logger.debug({ err }, 'status history not recorded'));
    };
    const onBill = (b: { userId: string; period: string; url: string; amountCents: number }) =>
      (this.nsp.to([userRoom(b.userId), ADMINS_ROOM]) as unknown as Emitter).emit(
        'bill_generated',
        billGeneratedFrom(b),
      );
    bus.on('meter_changed', onChanged);
    bus.on('meter_status', onStatus);
    bus.on('bill_generated', onBill);
    this.offs.push(
      () => bus.off('meter_changed', onChanged),
      () => bus.off('meter_status', onStatus),
      () => bus.off('bill_generated', onBill),
    );
  }

  private offer(meterNo: string, row: FleetLiveRow): void {
    // No operator watching (nor about to recover a dropped console): no rows to keep.
    if (!mayReach(this.nsp, [ADMINS_ROOM])) return;
    const prev = this.pending.get(meterNo);
    if (prev && prev.seq > row.seq) return;
    this.pending.set(meterNo, { ...prev, ...row });
    this.schedule();
  }

  /** Leading edge: a quiet fleet's first change goes out at once, later ones within the window. */
  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(0, this.lastFlushMs + L.fleetLiveWindowMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
      if (this.pending.size > 0) this.schedule();
    }, waitMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.pending.size === 0) return;
    this.lastFlushMs = Date.now();
    const rows = [...this.pending.values()].slice(0, L.fleetLiveMaxBatch);
    for (const r of rows) this.pending.delete(r.meterNo);
    (this.nsp.to(ADMINS_ROOM) as unknown as Emitter).emit('fleet_update', {
      meters: rows,
      timestamp: Date.now(),
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const off of this.offs.splice(0)) off();
    this.pending.clear();
  }
}
