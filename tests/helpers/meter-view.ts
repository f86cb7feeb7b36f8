import { balanceInitialSchema, balanceUpdatedSchema } from '@umeme/protocol';
import { openSocket, type RecordingClient } from './sockets';

/**
 * A browser tab's view of one meter, kept by the dashboard's rules (docs/web.md): events at or
 * after the held `seq` apply; one that skips ahead, or a reconnect Socket.IO could not recover,
 * makes it refetch over HTTP from `url` (the instance, or the proxy, it is connected through).
 */
export class MeterView {
  seq = -1;
  balanceKwh = NaN;
  refetches = 0;
  initials = 0;
  /** events that skipped past the held seq (each repaired by a refetch) */
  gaps = 0;
  readonly client: RecordingClient;

  constructor(
    readonly url: string,
    readonly meterNo: string,
    readonly token: string,
  ) {
    this.client = openSocket(url, token, { reconnection: true });
    const s = this.client.socket;
    s.on('balance_initial', (p) => {
      this.initials++;
      const m = balanceInitialSchema.parse(p).meters.find((x) => x.meterNo === meterNo);
      if (m) this.apply(m.seq, m.balance);
    });
    s.on('balance_updated', (p) => {
      const e = balanceUpdatedSchema.parse(p);
      if (e.meterNo !== meterNo) return;
      const gap = (e.fromSeq ?? e.seq) > this.seq + 1;
      this.apply(e.seq, e.newBalance);
      if (gap) {
        this.gaps++;
        void this.refetch();
      }
    });
    s.on('connect', () => {
      if (!s.recovered) void this.refetch();
    });
  }

  private apply(seq: number, balanceKwh: number): void {
    if (seq < this.seq) return;
    this.seq = seq;
    this.balanceKwh = balanceKwh;
  }

  async refetch(): Promise<void> {
    this.refetches++;
    const r = await fetch(`${this.url}/api/meters/${this.meterNo}`, {
      headers: { authorization: `Bearer ${this.token}` },
    }).catch(() => null);
    if (r?.status === 200) {
      const body = (await r.json()) as { seq: number; balanceKwh: number };
      this.apply(body.seq, body.balanceKwh);
    } else await r?.arrayBuffer();
  }
}
