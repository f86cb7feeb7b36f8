// Protects where meter secrets come from: files, generated numbers, and registration through the server's HTTP contract.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CredentialsError,
  generatedMeterNos,
  loadCredentialsFile,
  prefixCredentials,
  registerMeters,
} from './credentials';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umeme-creds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credential sources', () => {
  it('reads {meterNo, secret} and the server answer shape {meterNo, mqttPassword}', async () => {
    const path = join(dir, 'c.json');
    await writeFile(
      path,
      JSON.stringify([
        { meterNo: 'A1', secret: 's1' },
        { meterNo: 'A2', mqttUsername: 'A2', mqttPassword: 's2' },
      ]),
    );
    expect(await loadCredentialsFile(path)).toEqual([
      { meterNo: 'A1', secret: 's1' },
      { meterNo: 'A2', secret: 's2' },
    ]);
  });

  it('rejects a file with a bad meter number, naming the entry', async () => {
    const path = join(dir, 'c.json');
    await writeFile(
      path,
      JSON.stringify([
        { meterNo: 'A1', secret: 's1' },
        { meterNo: 'bad/no', secret: 'x' },
      ]),
    );
    await expect(loadCredentialsFile(path)).rejects.toThrow(CredentialsError);
    await expect(loadCredentialsFile(path)).rejects.toThrow(/1\.meterNo/);
  });

  it('generates padded meter numbers within the 32-character limit and shares one secret', async () => {
    expect(generatedMeterNos('SIM', 3)).toEqual(['SIM00001', 'SIM00002', 'SIM00003']);
    expect(generatedMeterNos('S', 123_456).at(-1)).toBe('S123456');
    // 28 + 5 digits is 33 characters: one more than a meter number may have.
    expect(() => generatedMeterNos('P'.repeat(28), 1)).toThrow(CredentialsError);
    expect(generatedMeterNos('P'.repeat(27), 1)).toEqual([`${'P'.repeat(27)}00001`]);
    const secretPath = join(dir, 'secret');
    await writeFile(secretPath, 'shared\n');
    expect(await prefixCredentials('X', 2, secretPath)).toEqual([
      { meterNo: 'X00001', secret: 'shared' },
      { meterNo: 'X00002', secret: 'shared' },
    ]);
  });
});

/** A stand-in for the server's documented contract (docs/design.md §6), so the client can be tested before the server exists. */
interface StubServer {
  url: string;
  registered: Map<string, { openingCreditKwh: number }>;
  requests: string[];
  close(): Promise<void>;
}

async function startStubServer(options: { throttleFirstRegister?: boolean } = {}): Promise<StubServer> {
  const registered = new Map<string, { openingCreditKwh: number }>();
  const requests: string[] = [];
  let throttled = false;
  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let text = '';
    for await (const chunk of req) text += (chunk as Buffer).toString();
    return JSON.parse(text) as Record<string, unknown>;
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      requests.push(`${req.method} ${req.url}`);
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === '/auth/login') {
        const body = await readBody(req);
        if (body.email === 'admin@example.com' && body.password === 'pw') return send(200, { token: 'tok' });
        return send(401, { error: 'UNAUTHORIZED', message: 'bad login' });
      }
      if (req.method === 'POST' && req.url === '/api/meters') {
        if (req.headers.authorization !== 'Bearer tok')
          return send(401, { error: 'UNAUTHORIZED', message: 'no' });
        if (options.throttleFirstRegister && !throttled) {
          throttled = true;
          return send(429, { error: 'RATE_LIMITED', message: 'slow down' });
        }
        const body = await readBody(req);
        const meterNo = String(body.meterNo);
        if (registered.has(meterNo)) return send(409, { error: 'METER_EXISTS', message: 'exists' });
        registered.set(meterNo, { openingCreditKwh: Number(body.openingCreditKwh) });
        return send(201, { meterNo, mqttUsername: meterNo, mqttPassword: `pw-${meterNo}` });
      }
      send(404, { error: 'NOT_FOUND', message: 'no route' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    registered,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('registerMeters', () => {
  let server: StubServer;
  afterEach(async () => {
    await server.close();
  });

  const register = (meterNos: string[], log?: (line: string) => void) =>
    registerMeters({
      serverUrl: server.url,
      adminEmail: 'admin@example.com',
      adminPassword: 'pw',
      meterNos,
      openingCreditKwh: 12.5,
      stateDir: dir,
      ...(log ? { log } : {}),
    });

  it('registers new meters with their opening credit and caches the issued secrets', async () => {
    server = await startStubServer({ throttleFirstRegister: true });
    const result = await register(['R1', 'R2']);
    expect(result).toMatchObject({ registered: 2, cached: 0, unusable: [] });
    expect(result.credentials).toEqual([
      { meterNo: 'R1', secret: 'pw-R1' },
      { meterNo: 'R2', secret: 'pw-R2' },
    ]);
    expect(server.registered.get('R1')).toEqual({ openingCreditKwh: 12.5 });
    const cache = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as unknown;
    expect(cache).toEqual({ server: server.url, meters: { R1: 'pw-R1', R2: 'pw-R2' } });
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
  });

  it('reuses cached secrets on the next run and skips meters that exist without one', async () => {
    server = await startStubServer();
    await register(['R1']);
    server.registered.set('R9', { openingCreditKwh: 0 });
    const lines: string[] = [];
    const second = await register(['R1', 'R2', 'R9'], (line) => lines.push(line));
    expect(second).toMatchObject({ registered: 1, cached: 1, unusable: ['R9'] });
    expect(second.credentials.map((c) => c.meterNo)).toEqual(['R1', 'R2']);
    expect(server.requests.filter((r) => r === 'POST /api/meters')).toHaveLength(3);
    expect(lines.join()).toContain('R9');
  });

  it('fails clearly on a bad admin login', async () => {
    server = await startStubServer();
    await expect(
      registerMeters({
        serverUrl: server.url,
        adminEmail: 'admin@example.com',
        adminPassword: 'wrong',
        meterNos: ['R1'],
        openingCreditKwh: 1,
        stateDir: dir,
      }),
    ).rejects.toThrow(/admin login .* failed: HTTP 401/);
  });
});
