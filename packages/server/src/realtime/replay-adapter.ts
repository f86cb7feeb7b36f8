import type { Namespace, Server } from 'socket.io';

type AdapterConstructor = Parameters<Server['adapter']>[0];
type AdapterClass = new (nsp: Namespace) => Namespace['adapter'];
type BroadcastArgs = Parameters<Namespace['adapter']['broadcast']>;
interface RecoverySession {
  rooms: string[];
}

/** Whether an emit to `rooms` could reach anyone, as far as this namespace's adapter can tell. */
export function mayReach(nsp: Namespace, rooms: Iterable<string>): boolean {
  const adapter = nsp.adapter as Partial<ReplayAdapterMethods>;
  return typeof adapter.mayReach === 'function' ? adapter.mayReach(rooms) : true;
}

interface ReplayAdapterMethods {
  mayReach(rooms: Iterable<string>): boolean;
  /** packets kept for recovery right now */
  readonly keptPackets: number;
}

/**
 * The single-instance (in-memory) adapter with connection state recovery, made cheap at fleet
 * scale:
 *
 * - An event for rooms that no socket is in, and that no disconnected socket still inside the
 *   recovery window was in, is dropped before it is encoded or kept: nobody can receive it now
 *   or on recovery. Without this, every consumption update of every meter (thousands a second)
 *   is serialised and held for the whole recovery window although nobody is looking, and the
 *   garbage collector's full collections of that churn take both cores away from the database.
 * - What is kept is capped by count as well as by age (the adapter prunes by age only once a
 *   minute), so a burst cannot grow memory without bound. A client whose missed packets were
 *   dropped is simply not recovered; it gets `balance_initial` and refetches.
 *
 * With Redis the streams adapter is used instead: other instances' sockets are unknown here,
 * so everything is sent.
 */
export function replayAdapter(
  base: AdapterConstructor | undefined,
  opts: { maxPackets: number; recoveryMs: number },
): AdapterConstructor {
  const Base = base as unknown as AdapterClass;
  class ReplayAdapter extends Base implements ReplayAdapterMethods {
    /** rooms of disconnected sockets that may still be recovered, and until when */
    private readonly recoverable = new Map<string, number>();
    private lastSweepMs = 0;

    get keptPackets(): number {
      return (this as unknown as { packets?: unknown[] }).packets?.length ?? 0;
    }

    mayReach(rooms: Iterable<string>): boolean {
      let now = 0;
      for (const room of rooms) {
        if ((this.rooms.get(room)?.size ?? 0) > 0) return true;
        const until = this.recoverable.get(room);
        if (until === undefined) continue;
        now ||= Date.now();
        if (until >= now) return true;
        this.recoverable.delete(room);
      }
      return false;
    }

    override persistSession(session: Parameters<Namespace['adapter']['persistSession']>[0]): void {
      super.persistSession(session);
      const now = Date.now();
      const until = now + opts.recoveryMs;
      for (const room of (session as RecoverySession).rooms) this.recoverable.set(room, until);
      // Rooms never emitted to again (a socket's own room) are forgotten here, not on lookup.
      if (now - this.lastSweepMs >= opts.recoveryMs) {
        this.lastSweepMs = now;
        for (const [room, t] of this.recoverable) if (t < now) this.recoverable.delete(room);
      }
    }

    override broadcast(...args: BroadcastArgs): void {
      const [, broadcastOpts] = args;
      if (broadcastOpts.rooms.size > 0 && !this.mayReach(broadcastOpts.rooms)) return;
      super.broadcast(...args);
      const packets = (this as unknown as { packets?: unknown[] }).packets;
      // Trimmed a tenth at a time: one packet off the front of a full buffer on every broadcast
      // would move the whole buffer each time.
      if (Array.isArray(packets) && packets.length > opts.maxPackets * 1.1)
        packets.splice(0, packets.length - opts.maxPackets);
    }
  }
  return ReplayAdapter as unknown as AdapterConstructor;
}
