import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** PEM paths and contents */
  caCert: string;
  serverCert: string;
  serverKey: string;
  caPem: Buffer;
  /** a second, unrelated CA: a client trusting only it must refuse the broker */
  otherCaPem: Buffer;
  remove(): void;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function newCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=Umeme test ${name}`,
  ]);
}

/** A throw-away CA and a broker certificate for localhost / 127.0.0.1 it signed, made with the openssl CLI. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'umeme-pki-'));
  newCa(dir, 'ca');
  newCa(dir, 'other-ca');
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    caPem: readFileSync(join(dir, 'ca.crt')),
    otherCaPem: readFileSync(join(dir, 'other-ca.crt')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
