// Protects the Daraja client: one token refresh at a time, safe retries, typed errors, no secrets in logs.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baseUrlFor, DarajaError, isStkQueryPending, LOCAL_ERROR_CODES } from './client';
import type { DarajaEmulator } from './emulator';
import { stkPassword } from './schemas';
import {
  captureLogger,
  CREDENTIALS,
  newClient,
  newPhone,
  sleep,
  startEmulator,
  startMerchant,
  waitFor,
  type Merchant,
} from './test-support';

let emulator: DarajaEmulator;
let baseUrl: string;
let merchant: Merchant;

beforeAll(async () => {
  ({ emulator, baseUrl } = await startEmulator());
  merchant = await startMerchant();
});
afterAll(async () => {
  await emulator.close();
  await merchant.close();
});

async function caught(promise: Promise<unknown>): Promise<DarajaError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DarajaError) return err;
    throw err;
  }
  throw new Error('expected a DarajaError, got success');
}

describe('base URLs', () => {
  it('points sandbox and production at Safaricom', () => {
    expect(baseUrlFor('sandbox')).toBe('https://sandbox.safaricom.co.ke');
    expect(baseUrlFor('production')).toBe('https://api.safaricom.co.ke');
  });
});

describe('OAuth token cache', () => {
  it('fifty concurrent callers share a single token request', async () => {
    const before = emulator.calls.oauth;
    const client = newClient(baseUrl);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(emulator.calls.oauth - before).toBe(1);
  });

  it('reuses the token until shortly before expiry, then refreshes once for fifty callers', async () => {
    let nowMs = 1_000_000;
    const client = newClient(baseUrl, { nowMs: () => nowMs });
    const before = emulator.calls.oauth;
    const first = await client.getToken();
    nowMs += 3_000_000; // 50 minutes: still well inside 3599 s
    expect(await client.getToken()).toBe(first);
    expect(emulator.calls.oauth - before).toBe(1);

    nowMs += 540_000; // 59 minutes in: inside the refresh margin
    const renewed = await Promise.all(Array.from({ length: 50 }, () => client.getToken()));
    expect(new Set(renewed).size).toBe(1);
    expect(renewed[0]).not.toBe(first);
    expect(emulator.calls.oauth - before).toBe(2);
  });

  it('replaces a token Daraja revoked early, once, and the call goes through', async () => {
    const client = newClient(baseUrl);
    await client.getToken();
    const before = emulator.calls.oauth;
    emulator.revokeTokens();
    const answer = await client.registerC2bUrls({
      confirmationUrl: `${merchant.baseUrl}/c2b/confirmation`,
      validationUrl: `${merchant.baseUrl}/c2b/validation`,
      responseType: 'Completed',
    });
    expect(answer.ResponseCode).toBe('0');
    expect(emulator.calls.oauth - before).toBe(1);
  });

  it('reports wrong consumer credentials as a typed 400 without retrying', async () => {
    const before = emulator.calls.oauth;
    const client = newClient(baseUrl, { consumerSecret: 'wrong', retries: 3 });
    const err = await caught(client.getToken());
    expect(err).toMatchObject({
      status: 400,
      errorCode: '400.008.01',
      errorMessage: 'Invalid Authentication passed',
    });
    expect(emulator.calls.oauth - before).toBe(1);
  });
});

describe('STK push through the client', () => {
  it('a wrong passkey comes back as Daraja error shape and is not retried', async () => {
    const before = emulator.calls.stkPush;
    const client = newClient(baseUrl, { passkey: 'not-the-passkey', retries: 3 });
    const err = await caught(
      client.stkPush({
        phoneNumber: newPhone().local,
        amountKes: 10,
        accountReference: 'M1',
        description: 'Electricity',
        callbackUrl: merchant.callbackUrl,
      }),
    );
    expect(err).toMatchObject({ status: 500, errorCode: '500.001.1001', errorMessage: 'Wrong credentials' });
    expect(err.requestId).toMatch(/\S/);
    expect(err.mayHaveBeenSent).toBe(false);
    expect(emulator.calls.stkPush - before).toBe(1);
  });

  it.each([
    ['a phone number that is not Kenyan', { phoneNumber: '+1 555 0100' }],
    ['a fractional amount', { amountKes: 10.5 }],
    ['a zero amount', { amountKes: 0 }],
    ['an account reference longer than 12 characters', { accountReference: 'M123456789012' }],
    ['a callback URL that is not http(s)', { callbackUrl: 'javascript:alert(1)' }],
  ])('refuses %s before anything is sent', async (_label, change) => {
    const before = emulator.calls.stkPush;
    const client = newClient(baseUrl);
    const err = await caught(
      client.stkPush({
        phoneNumber: newPhone().local,
        amountKes: 10,
        accountReference: 'M1',
        description: 'Electricity',
        callbackUrl: merchant.callbackUrl,
        ...change,
      }),
    );
    expect(err.errorCode).toBe(LOCAL_ERROR_CODES.invalidRequest);
    expect(err.status).toBe(0);
    expect(emulator.calls.stkPush - before).toBe(0);
  });

  it('a still-pending push answers the query with the "being processed" error, not retried', async () => {
    const phone = newPhone();
    emulator.setOutcome(phone.local, { resultCode: 0, delayMs: 60_000 });
    const client = newClient(baseUrl, { retries: 3 });
    const push = await client.stkPush({
      phoneNumber: phone.local,
      amountKes: 50,
      accountReference: 'M7',
      description: 'Electricity',
      callbackUrl: merchant.callbackUrl,
    });
    const before = emulator.calls.stkQuery;
    const err = await caught(client.stkQuery(push.CheckoutRequestID));
    expect(err).toMatchObject({
      status: 500,
      errorCode: '500.001.1001',
      errorMessage: 'The transaction is being processed',
    });
    expect(isStkQueryPending(err)).toBe(true);
    expect(emulator.calls.stkQuery - before).toBe(1);
  });
});

describe('retry policy', () => {
  /** A Daraja stand-in whose endpoints misbehave on purpose; counts what reaches it. */
  let gateway: FastifyInstance;
  let gatewayUrl: string;
  const hits = { push: 0, query: 0 };
  let pushMode: 'hang' | '503' = 'hang';
  let queryMode: 'hang' | '503-then-ok' | '503' | '400' = '503';

  beforeAll(async () => {
    // Requests abandoned mid-flight by client timeouts leave connections that are not idle;
    // this stub drops them on close instead of waiting for them.
    gateway = Fastify({ logger: false, forceCloseConnections: true });
    gateway.get('/oauth/v1/generate', async () => ({ access_token: 'gatewaytoken', expires_in: '3599' }));
    gateway.post('/mpesa/stkpush/v1/processrequest', async (_request, reply) => {
      hits.push += 1;
      if (pushMode === 'hang') await sleep(1_000);
      return reply
        .code(503)
        .send({ requestId: 'r', errorCode: '503.001.01', errorMessage: 'Service Unavailable' });
    });
    gateway.post('/mpesa/stkpushquery/v1/query', async (_request, reply) => {
      hits.query += 1;
      if (queryMode === 'hang') await sleep(1_000);
      if (queryMode === '400') {
        return reply.code(400).send({ requestId: 'r', errorCode: '400.002.02', errorMessage: 'Bad Request' });
      }
      if (queryMode === '503' || hits.query < 3) return reply.code(503).send('Service Unavailable');
      return {
        ResponseCode: '0',
        ResponseDescription: 'ok',
        MerchantRequestID: 'm',
        CheckoutRequestID: 'ws_CO_1',
        ResultCode: '0',
        ResultDesc: 'The service request is processed successfully.',
      };
    });
    gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await gateway.close();
  });
  afterEach(() => {
    hits.push = 0;
    hits.query = 0;
  });

  const pushInput = () => ({
    phoneNumber: newPhone().local,
    amountKes: 10,
    accountReference: 'M1',
    description: 'Electricity',
    callbackUrl: merchant.callbackUrl,
  });

  it('never retries a push that timed out, because the prompt may already be on the phone', async () => {
    pushMode = 'hang';
    const client = newClient(gatewayUrl, { timeoutMs: 150, retries: 3 });
    const err = await caught(client.stkPush(pushInput()));
    expect(err.errorCode).toBe(LOCAL_ERROR_CODES.timeout);
    expect(err.mayHaveBeenSent).toBe(true);
    await sleep(50);
    expect(hits.push).toBe(1);
  });

  it('never retries a push answered with a gateway 5xx', async () => {
    pushMode = '503';
    const client = newClient(gatewayUrl, { retries: 3 });
    const err = await caught(client.stkPush(pushInput()));
    expect(err).toMatchObject({ status: 503, errorCode: '503.001.01', mayHaveBeenSent: true });
    expect(hits.push).toBe(1);
  });

  it('retries a push whose connection was refused, since nothing was sent', async () => {
    // A token is cached first, then the gateway goes away: every push attempt is refused.
    const lonely = Fastify({ logger: false });
    lonely.get('/oauth/v1/generate', async () => ({ access_token: 'lonelytoken', expires_in: '3599' }));
    const url = await lonely.listen({ port: 0, host: '127.0.0.1' });
    const { logger, lines } = captureLogger();
    const client = newClient(url, { retries: 2, logger });
    await client.getToken();
    await lonely.close();
    await sleep(50);
    const err = await caught(client.stkPush(pushInput()));
    expect(err).toMatchObject({ status: 0, errorCode: LOCAL_ERROR_CODES.network, mayHaveBeenSent: false });
    const attempts = lines
      .map((line) => JSON.parse(line) as { event?: string; path?: string; kind?: string })
      .filter(
        (entry) => entry.event === 'daraja.failure' && entry.path === '/mpesa/stkpush/v1/processrequest',
      );
    expect(attempts.map((a) => a.kind)).toEqual(['connect', 'connect', 'connect']);
  });

  it('retries an idempotent query after gateway 5xx answers and returns the result', async () => {
    queryMode = '503-then-ok';
    const client = newClient(gatewayUrl, { retries: 3 });
    const answer = await client.stkQuery('ws_CO_1');
    expect(answer.ResultCode).toBe('0');
    expect(hits.query).toBe(3);
  });

  it('gives up on a query after the configured retries', async () => {
    queryMode = '503';
    const client = newClient(gatewayUrl, { retries: 2 });
    const err = await caught(client.stkQuery('ws_CO_1'));
    expect(err.status).toBe(503);
    expect(hits.query).toBe(3);
  });

  it('retries a query that timed out', async () => {
    queryMode = 'hang';
    const client = newClient(gatewayUrl, { timeoutMs: 100, retries: 1 });
    const err = await caught(client.stkQuery('ws_CO_1'));
    expect(err.errorCode).toBe(LOCAL_ERROR_CODES.timeout);
    await waitFor(() => hits.query === 2, 'second query attempt');
  });

  it('never retries a 4xx', async () => {
    queryMode = '400';
    const client = newClient(gatewayUrl, { retries: 3 });
    const err = await caught(client.stkQuery('ws_CO_1'));
    expect(err).toMatchObject({ status: 400, errorCode: '400.002.02' });
    expect(hits.query).toBe(1);
  });
});

describe("Daraja's rate limits (issue 16 §3)", () => {
  const pushInput = () => ({
    phoneNumber: newPhone().local,
    amountKes: 10,
    accountReference: 'M1',
    description: 'Electricity',
    callbackUrl: merchant.callbackUrl,
  });

  it('a spike-arrested push was not sent: it is sent again after a back-off and goes through once', async () => {
    const client = newClient(baseUrl, { retries: 2 });
    await client.getToken();
    const before = emulator.calls.stkPushAccepted;
    emulator.rejectNext(2, 'spike_arrest');
    const res = await client.stkPush(pushInput());
    expect(res.ResponseCode).toBe('0');
    expect(emulator.calls.stkPushAccepted - before).toBe(1);
  });

  it('past its retries a spike arrest is a "not sent" error, never "maybe sent"', async () => {
    const client = newClient(baseUrl, { retries: 1 });
    await client.getToken();
    emulator.rejectNext(5, 'spike_arrest');
    try {
      const err = await caught(client.stkPush(pushInput()));
      expect(err).toMatchObject({ errorCode: '500.003.02', rateLimited: true, mayHaveBeenSent: false });
    } finally {
      emulator.rejectNext(0, 'spike_arrest');
    }
  });

  it('a quota answer is not retried, and not "maybe sent"', async () => {
    const client = newClient(baseUrl, { retries: 3 });
    await client.getToken();
    const rejectedBefore = emulator.calls.rateLimited;
    emulator.rejectNext(1, 'quota');
    const err = await caught(client.stkQuery('ws_CO_quota'));
    expect(err).toMatchObject({ errorCode: '500.003.03', rateLimited: true, mayHaveBeenSent: false });
    expect(emulator.calls.rateLimited - rejectedBefore).toBe(1);
  });

  it('a new token invalidates the previous one, as Safaricom documents', async () => {
    const first = newClient(baseUrl);
    const second = newClient(baseUrl);
    await first.getToken();
    await second.getToken();
    const before = emulator.calls.oauth;
    // first's token is dead: it fetches again (invalidating second's) and the query is answered.
    await first.stkQuery('ws_CO_token').catch(() => undefined);
    expect(emulator.calls.oauth - before).toBe(1);
  });
});

describe('transport', () => {
  let gateway: FastifyInstance;
  let gatewayUrl: string;
  const hits = { query: 0 };
  beforeAll(async () => {
    gateway = Fastify({ logger: false, forceCloseConnections: true });
    gateway.get('/oauth/v1/generate', async () => ({ access_token: 'transporttoken', expires_in: '3599' }));
    gateway.post('/mpesa/stkpushquery/v1/query', async (request, reply) => {
      hits.query += 1;
      const id = (request.body as { CheckoutRequestID?: string }).CheckoutRequestID;
      if (id === 'huge') return reply.type('application/json').send(`{"pad":"${'x'.repeat(70_000)}"}`);
      return reply.redirect('https://evil.example/steal', 302);
    });
    gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('refuses an answer larger than 64 KiB instead of buffering it', async () => {
    hits.query = 0;
    const client = newClient(gatewayUrl, { retries: 0 });
    const err = await caught(client.stkQuery('huge'));
    expect(err).toMatchObject({ status: 0, errorCode: LOCAL_ERROR_CODES.network });
    expect(hits.query).toBe(1);
    await client.close();
  });

  it('does not follow a redirect: the 302 is an error, and nothing goes elsewhere', async () => {
    const client = newClient(gatewayUrl, { retries: 2 });
    const err = await caught(client.stkQuery('ws_CO_1'));
    expect(err.status).toBe(302);
    expect(err.errorCode).toBe('HTTP_302');
    await client.close();
  });

  it('close() ends kept-alive connections, and a closed client refuses new calls', async () => {
    const client = newClient(gatewayUrl, { retries: 0 });
    await client.getToken();
    await client.close();
    const err = await caught(client.stkQuery('huge'));
    expect(err.status).toBe(0);
  });
});

describe('logging', () => {
  it('logs every request and response without credentials, tokens, passwords or callback secrets', async () => {
    const clientLog = captureLogger();
    const emulatorLog = captureLogger();
    const own = await startEmulator({ logger: emulatorLog.logger });
    try {
      const client = newClient(own.baseUrl, { logger: clientLog.logger });
      const phone = newPhone();
      const push = await client.stkPush({
        phoneNumber: phone.local,
        amountKes: 120,
        accountReference: 'M42',
        description: 'Electricity',
        callbackUrl: merchant.callbackUrl,
      });
      await waitFor(
        () => own.emulator.transactions.get(push.CheckoutRequestID)?.callbacks.length === 1,
        'callback delivered',
      );
      await client.stkQuery(push.CheckoutRequestID);
      await client.registerC2bUrls({
        confirmationUrl: `${merchant.baseUrl}/c2b/confirmation?k=${merchant.callbackToken}`,
        validationUrl: `${merchant.baseUrl}/c2b/validation?k=${merchant.callbackToken}`,
        responseType: 'Completed',
      });
      await caught(newClient(own.baseUrl, { logger: clientLog.logger, passkey: 'bad' }).stkQuery('x'));
      const token = await client.getToken();

      const lines = [...clientLog.lines, ...emulatorLog.lines];
      const events = lines.map((line) => (JSON.parse(line) as { event?: string }).event);
      expect(events.filter((e) => e === 'daraja.request').length).toBeGreaterThanOrEqual(5);
      expect(events.filter((e) => e === 'daraja.response').length).toBeGreaterThanOrEqual(5);
      expect(events).toContain('emulator.callback');

      const basic = Buffer.from(`${CREDENTIALS.consumerKey}:${CREDENTIALS.consumerSecret}`).toString(
        'base64',
      );
      // The shortcode is six bytes, so this prefix of every Password's base64 is fixed.
      const passwordPrefix = stkPassword(CREDENTIALS.shortCode, CREDENTIALS.passkey, '').slice(0, 24);
      const secrets = [
        CREDENTIALS.consumerSecret,
        CREDENTIALS.consumerKey,
        CREDENTIALS.passkey,
        basic,
        passwordPrefix,
        token,
        merchant.callbackToken,
        phone.msisdn,
      ];
      for (const line of lines) {
        for (const secret of secrets) expect(line).not.toContain(secret);
        expect(line).not.toMatch(/(Basic|Bearer) [A-Za-z0-9+/=]{8,}/);
      }
    } finally {
      await own.emulator.close();
    }
  });
});
