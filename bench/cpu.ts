/**
 * CPU used by the processes a benchmark run involves, read from /proc (Linux): this process
 * (the server under test), a child (the load generator), and the machine's PostgreSQL and
 * Mosquitto processes. Shares are of one core (100 % = one core busy); this machine has two.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

type Sample = { at: number; ticks: Map<string, number> };

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
  const ticks = new Map<string, number>();
  const add = (label: string, n: number) => ticks.set(label, (ticks.get(label) ?? 0) + n);
  for (const [label, pid] of Object.entries(pids)) {
    const t = pid === undefined ? null : ticksOf(pid);
    if (t) add(label, t.ticks);
  }
  let procs: string[] = [];
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // not Linux: only what process.cpuUsage knows
  }
  for (const pid of procs) {
    const t = ticksOf(pid);
    if (t?.comm === 'postgres') add('postgres', t.ticks);
    else if (t?.comm === 'mosquitto') add('mosquitto', t.ticks);
  }
  return { at: performance.now(), ticks };
}

/** Starts measuring; the returned function gives each process's share of a core since then. */
export function cpuShares(pids: Record<string, number | undefined>): () => Record<string, number> {
  const start = sample(pids);
  return () => {
    const end = sample(pids);
    const seconds = (end.at - start.at) / 1000;
    const out: Record<string, number> = {};
    for (const [label, t] of end.ticks) {
      // Processes that exited in between (PostgreSQL backends) are left out of both samples.
      const used = Math.max(0, t - (start.ticks.get(label) ?? 0));
      out[label] = Math.round((used / TICKS_PER_S / seconds) * 100);
    }
    return out;
  };
}
