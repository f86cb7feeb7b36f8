import { io, type Socket } from 'socket.io-client';
import { fleetUpdateSchema, notificationSchema, SOCKET_NAMESPACE, type FleetLiveRow } from '@umeme/protocol';

type Listener = (rows: readonly FleetLiveRow[]) => void;

/** The admins room's `fleet_update` batches, checked against the protocol schema. */
export class FleetFeed {
  private readonly listeners = new Set<Listener>();
  private readonly linkListeners = new Set<() => void>();
  private readonly alertListeners = new Set<() => void>();
  private readonly orphanListeners = new Set<() => void>();
  private readonly topupListeners = new Set<() => void>();
  connected = false;
  dropped = 0;
  private socket: Socket | null = null;

  start(token: string): void {
    const socket = io(SOCKET_NAMESPACE, {
      auth: { token },
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
    });
    this.socket = socket;
    const link = (up: boolean) => {
      this.connected = up;
      for (const l of this.linkListeners) l();
    };
    socket.on('connect', () => link(true));
    socket.on('disconnect', () => link(false));
    socket.on('fleet_update', (payload: unknown) => {
      const parsed = fleetUpdateSchema.safeParse(payload);
      if (!parsed.success) {
        this.dropped++;
        return;
      }
      for (const l of this.listeners) l(parsed.data.meters);
    });
    // Alerts opening and closing, and payments to review, reach the admins room as notifications.
    socket.on('notification', (payload: unknown) => {
      const parsed = notificationSchema.safeParse(payload);
      if (!parsed.success) {
        this.dropped++;
        return;
      }
      const kind = parsed.data.kind;
      const listeners =
        kind === 'payment_orphan' || kind === 'payment_orphan_resolved'
          ? this.orphanListeners
          : kind === 'topup_requested' || kind === 'topup_processed'
            ? this.topupListeners
            : this.alertListeners;
      for (const l of listeners) l();
    });
    socket.on('connect', () => {
      for (const l of this.alertListeners) l();
      for (const l of this.orphanListeners) l();
      for (const l of this.topupListeners) l();
    });
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** Called when an alert may have opened or closed, and after a reconnect. */
  onAlerts = (fn: () => void): (() => void) => {
    this.alertListeners.add(fn);
    return () => this.alertListeners.delete(fn);
  };

  /** Called when a payment to review arrives or is decided, and after a reconnect. */
  onOrphans = (fn: () => void): (() => void) => {
    this.orphanListeners.add(fn);
    return () => this.orphanListeners.delete(fn);
  };

  /** Called when a top-up request arrives or is decided, and after a reconnect. */
  onTopups = (fn: () => void): (() => void) => {
    this.topupListeners.add(fn);
    return () => this.topupListeners.delete(fn);
  };

  onLink = (fn: () => void): (() => void) => {
    this.linkListeners.add(fn);
    return () => this.linkListeners.delete(fn);
  };
}
