/**
 * CPU used by the processes a benchmark run involves, read from /proc (Linux): this process
 * (the server under test), a child (the load generator), and the machine's PostgreSQL and
 * Mosquitto processes. Shares are of one core (100 % = one core busy); this machine has two.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

/** Ticks by process id, with the label each counts under. */
type Sample = { at: number; ticks: Map<string, { label: string; ticks: number }> };

function ticksOf(pid: number | string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat; `fields` starts at field 3.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function sample(pids: Record<string, number | undefined>): Sample {
  const ticks: Sample['ticks'] = new Map();
  for (const [label, pid] of Object.entries(pids)) {
    const t = pid === undefined ? null : ticksOf(pid);
    if (t) ticks.set(String(pid), { label, ticks: t.ticks });
  }
  let procs: string[] = [];
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // not Linux: only what process.cpuUsage knows
  }
  for (const pid of procs) {
    const t = ticksOf(pid);
    if (t?.comm === 'postgres' || t?.comm === 'mosquitto') ticks.set(pid, { label: t.comm, ticks: t.ticks });
  }
  return { at: performance.now(), ticks };
}

/** Starts measuring; the returned function gives each process's share of a core since then. */
export function cpuShares(pids: Record<string, number | undefined>): () => Record<string, number> {
  const start = sample(pids);
  return () => {
    const end = sample(pids);
    const seconds = (end.at - start.at) / 1000;
    const used: Record<string, number> = {};
    // Per process: one that started in between counts from zero; one that exited in between (a
    // pool closing an idle PostgreSQL connection) is left out, rather than cancelling the others.
    for (const [pid, t] of end.ticks) {
      used[t.label] = (used[t.label] ?? 0) + t.ticks - (start.ticks.get(pid)?.ticks ?? 0);
    }
    const out: Record<string, number> = {};
    for (const [label, n] of Object.entries(used)) out[label] = Math.round((n / TICKS_PER_S / seconds) * 100);
    return out;
  };
}
