/**
 * A web push service on loopback, standing in for FCM or Mozilla's autopush the way the Daraja
 * emulator stands in for Safaricom: it takes what the server sends to a subscription's endpoint
 * (RFC 8030) over HTTPS (a throw-away CA: `agent` trusts it), checks the VAPID signature
 * (RFC 8292) and, holding the subscription's private key as a browser would, decrypts the payload
 * (RFC 8291, aes128gcm). An endpoint can be told to answer 410 Gone, as a push service does for a
 * subscription the browser dropped.
 */
import { createECDH, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
// http_ece has no types of its own: decrypt(buffer, params) → Buffer.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore
import ece from 'http_ece';
import { createTestPki, type TestPki } from './test-ca';

export interface ReceivedPush {
  /** the subscription's id (the endpoint's last path segment) */
  id: string;
  headers: http.IncomingHttpHeaders;
  /** the decrypted payload, parsed */
  notice: { kind: string; title: string; body: string; tag: string; url: string };
  /** the VAPID JWT's claims, its signature checked against the key in the header */
  vapid: { aud: string; sub: string; exp: number; publicKey: string };
}

export interface TestSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const b64u = (b: Buffer): string => b.toString('base64url');

/** The P-256 public key (65 bytes, uncompressed) as a KeyObject. */
function p256Key(raw: Buffer) {
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: 'jwk',
  });
}

function checkVapid(authorization: string | undefined): ReceivedPush['vapid'] {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) throw new Error(`not a VAPID Authorization header: ${authorization}`);
  const [head, claims, sig] = m[1]!.split('.') as [string, string, string];
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: p256Key(Buffer.from(m[2]!, 'base64url')), dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  );
  if (!ok) throw new Error('VAPID signature does not verify');
  const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
    aud: string;
    sub: string;
    exp: number;
  };
  return { ...c, publicKey: m[2]! };
}

export class PushServiceEmulator {
  readonly received: ReceivedPush[] = [];
  /** requests it could not read (bad signature, undecryptable): none expected */
  readonly problems: string[] = [];
  private readonly keys = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
  private readonly gone = new Set<string>();
  private server: https.Server | null = null;
  private pki: TestPki | null = null;
  url = '';
  /** an HTTPS agent that trusts this push service's certificate (give it to the server) */
  agent: https.Agent | null = null;

  async start(): Promise<this> {
    this.pki = createTestPki();
    this.agent = new https.Agent({ ca: this.pki.caPem, keepAlive: false });
    this.server = https.createServer(
      { cert: readFileSync(this.pki.serverCert), key: readFileSync(this.pki.serverKey) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const id = (req.url ?? '').split('/').pop() ?? '';
          if (req.method !== 'POST' || !this.keys.has(id)) {
            res.writeHead(404).end();
            return;
          }
          if (this.gone.has(id)) {
            res.writeHead(410).end();
            return;
          }
          try {
            const k = this.keys.get(id)!;
            const plain = ece.decrypt(Buffer.concat(chunks), {
              version: 'aes128gcm',
              privateKey: k.ecdh,
              authSecret: b64u(k.auth),
            }) as Buffer;
            this.received.push({
              id,
              headers: req.headers,
              notice: JSON.parse(plain.toString('utf8')) as ReceivedPush['notice'],
              vapid: checkVapid(req.headers.authorization),
            });
            res.writeHead(201, { location: `${this.url}/messages/${randomBytes(4).toString('hex')}` }).end();
          } catch (err) {
            this.problems.push(err instanceof Error ? err.message : String(err));
            res.writeHead(400).end();
          }
        });
      },
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A subscription as a browser would make it: its own key pair and auth secret. */
  newSubscription(): TestSubscription {
    const id = randomBytes(8).toString('hex');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.keys.set(id, { ecdh, auth });
    return {
      id,
      endpoint: `${this.url}/push/${id}`,
      keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) },
    };
  }

  /** From now on this subscription's endpoint answers 410 Gone. */
  drop(id: string): void {
    this.gone.add(id);
  }

  for(id: string): ReceivedPush[] {
    return this.received.filter((r) => r.id === id);
  }

  async close(): Promise<void> {
    this.agent?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.pki?.remove();
  }
}
