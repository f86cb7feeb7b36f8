import pg from 'pg';
import fs from 'node:fs';
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await c.connect();
const out = fs.openSync('/tmp/pgwatch.jsonl', 'w');
const end = Date.now() + Number(process.argv[2] ?? 100000);
while (Date.now() < end) {
  const { rows } = await c.query(`select backend_type bt, wait_event_type wt, wait_event we, state, left(query, 50) q, now() - xact_start as age from pg_stat_activity where pid <> pg_backend_pid() and (backend_type <> 'client backend' or state not in ('idle')) and backend_type not in ('logical replication launcher','autovacuum launcher')`);
  const interesting = rows.filter((r) => r.bt !== 'client backend' ? (r.we !== null && !['CheckpointerMain','BgWriterMain','BgWriterHibernate','WalWriterMain','ArchiverMain','AutoVacuumMain'].includes(r.we)) || r.bt.startsWith('autovacuum worker') : (r.wt === 'Lock' || r.wt === 'LWLock' || r.wt === 'IO'));
  if (interesting.length) fs.writeSync(out, JSON.stringify({ t: Date.now(), r: interesting }) + '\n');
  await new Promise((r) => setTimeout(r, 20));
}
await c.end();
