// Protects the SMS client's reading of the gateway's answers and the emulator that stands in for Africa's Talking.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AfricasTalkingClient, AfricasTalkingError } from './client';
import { createAfricasTalkingEmulator, type AfricasTalkingEmulator } from './emulator';
import {
  deliveryReportSchema,
  parseAtCost,
  ussdAnswers,
  ussdCallbackSchema,
  type DeliveryReport,
} from './schemas';

const creds = { username: 'umeme', apiKey: 'at-test-key-0123456789' };

describe("Africa's Talking client against the emulator", () => {
  let receiver: FastifyInstance;
  let emulator: AfricasTalkingEmulator;
  let client: AfricasTalkingClient;
  const reports: DeliveryReport[] = [];
  const ussdCalls: unknown[] = [];

  beforeEach(async () => {
    reports.length = 0;
    ussdCalls.length = 0;
    receiver = Fastify();
    await receiver.register(formbody);
    receiver.post('/at/delivery', async (req) => {
      reports.push(deliveryReportSchema.parse(req.body));
      return 'OK';
    });
    receiver.post('/at/ussd', async (req, reply) => {
      const call = ussdCallbackSchema.parse(req.body);
      ussdCalls.push(call);
      const answers = ussdAnswers(call.text);
      reply.type('text/plain');
      if (answers.length === 0) return 'CON Welcome\n1. Balance\n2. Quit';
      if (answers[0] === '1') return `END Balance for ${call.phoneNumber}: 12.34 kWh`;
      if (answers[0] === 'long') return `END ${'x'.repeat(200)}`;
      if (answers[0] === 'bad') return 'nonsense';
      return 'END Bye';
    });
    const receiverUrl = await receiver.listen({ port: 0, host: '127.0.0.1' });
    emulator = createAfricasTalkingEmulator({
      ...creds,
      deliveryReportUrl: `${receiverUrl}/at/delivery`,
      ussdCallbackUrl: `${receiverUrl}/at/ussd`,
      deliveryDelayMs: 10,
    });
    const url = await emulator.listen({ port: 0, host: '127.0.0.1' });
    client = new AfricasTalkingClient({ baseUrl: url, ...creds, from: 'UMEME' });
  });

  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('sends one message, records it in the inbox and reports its delivery', async () => {
    const result = await client.sendSms('0712345678', 'Umenunua kWh 5.00. Salio kWh 12.34.');
    expect(result).toMatchObject({ kind: 'accepted', statusCode: 101, cost: 'KES 0.8000' });
    const inbox = emulator.inbox('+254712345678');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ to: '+254712345678', from: 'UMEME', parts: 1, encoding: 'gsm7' });
    await emulator.idle();
    expect(reports).toEqual([
      expect.objectContaining({ id: inbox[0]!.messageId, status: 'Success', phoneNumber: '+254712345678' }),
    ]);
    expect(parseAtCost('KES 0.8000')).toEqual({ currency: 'KES', tenThousandths: 8000 });
  });

  it('charges a long or non-GSM text by the part', async () => {
    const long = await client.sendSms('+254712345678', 'a'.repeat(161));
    expect(long).toMatchObject({ kind: 'accepted', cost: 'KES 1.6000' });
    const ucs2 = await client.sendSms('+254712345678', '’'.repeat(71));
    expect(ucs2).toMatchObject({ kind: 'accepted', cost: 'KES 1.6000' });
    expect(emulator.inbox('0712345678').map((m) => m.encoding)).toEqual(['gsm7', 'ucs2']);
  });

  it('reports a failed delivery with its reason', async () => {
    emulator.setDeliveryOutcome('0712000111', 'Failed', 'UserIsInactive');
    await client.sendSms('+254712000111', 'hello');
    await emulator.idle();
    expect(reports[0]).toMatchObject({ status: 'Failed', failureReason: 'UserIsInactive' });
  });

  it('refuses wrong credentials as not sent', async () => {
    const url = `http://127.0.0.1:${(emulator.server.address() as { port: number }).port}`;
    const wrong = new AfricasTalkingClient({ baseUrl: url, username: 'umeme', apiKey: 'wrong' });
    const err = await wrong.sendSms('+254712345678', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AfricasTalkingError);
    expect(err).toMatchObject({ httpStatus: 401, mayHaveBeenSent: false });
    expect(emulator.messages).toHaveLength(0);
  });

  it('answers an outage with 503 and sends nothing until it ends', async () => {
    emulator.setOutage(true);
    const err = await client.sendSms('+254712345678', 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ httpStatus: 503, mayHaveBeenSent: false });
    emulator.setOutage(false);
    expect(await client.sendSms('+254712345678', 'x')).toMatchObject({ kind: 'accepted' });
    expect(emulator.messages).toHaveLength(1);
  });

  it('tells a permanent refusal from a passing one', async () => {
    emulator.failNext(1, { statusCode: 406 });
    emulator.failNext(1, { statusCode: 405 });
    expect(await client.sendSms('+254712345678', 'x')).toEqual({
      kind: 'refused',
      statusCode: 406,
      status: 'UserInBlacklist',
      permanent: true,
    });
    expect(await client.sendSms('+254712345678', 'x')).toMatchObject({
      kind: 'refused',
      statusCode: 405,
      permanent: false,
    });
    expect(await client.sendSms('not a number', 'x')).toMatchObject({
      kind: 'refused',
      statusCode: 403,
      permanent: true,
    });
    expect(emulator.messages).toHaveLength(0);
  });

  it('cannot reach a closed gateway and says nothing was sent', async () => {
    const closed = new AfricasTalkingClient({ baseUrl: 'http://127.0.0.1:9', ...creds });
    expect(await closed.sendSms('+254712345678', 'x').catch((e: unknown) => e)).toMatchObject({
      httpStatus: 0,
      mayHaveBeenSent: false,
    });
  });

  it('drives a USSD session: the first request has empty text, answers are joined by *', async () => {
    const first = await emulator.ussd('0712345678');
    expect(first).toMatchObject({ ended: false, screen: 'Welcome\n1. Balance\n2. Quit' });
    const second = await emulator.ussd('0712345678', '1');
    expect(second).toMatchObject({ ended: true, sessionId: first.sessionId });
    expect(second.screen).toContain('+254712345678');
    expect(ussdCalls).toEqual([
      expect.objectContaining({ sessionId: first.sessionId, text: '', serviceCode: '*384*1#' }),
      expect.objectContaining({ sessionId: first.sessionId, text: '1' }),
    ]);
    // A new dial starts a new session.
    const again = await emulator.ussd('0712345678');
    expect(again.sessionId).not.toBe(first.sessionId);
  });

  it('flags a USSD reply that is too long or not CON/END', async () => {
    await emulator.ussd('0712345678');
    const long = await emulator.ussd('0712345678', 'long');
    expect(long.error).toMatch(/longer than 182/);
    expect(long.screen).toHaveLength(182);
    await emulator.ussd('0712345678');
    const bad = await emulator.ussd('0712345678', 'bad');
    expect(bad).toMatchObject({ ended: true });
    expect(bad.error).toMatch(/callback answered 200/);
  });

  it('drives USSD over its own HTTP route and refuses a malformed request', async () => {
    const start = await emulator.inject({
      method: 'POST',
      url: '/emulator/ussd',
      payload: { phoneNumber: '0712345678' },
    });
    expect(start.json()).toMatchObject({ ended: false });
    const bad = await emulator.inject({ method: 'POST', url: '/emulator/ussd', payload: { phone: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
  });
});

describe('the demo virtual feature phone', () => {
  it('is served only in the demo, with a CSP that keeps it to the emulator', async () => {
    const demo = createAfricasTalkingEmulator({ username: 'u', apiKey: 'k', demo: true });
    const plain = createAfricasTalkingEmulator({ username: 'u', apiKey: 'k' });
    try {
      const page = await demo.inject({ url: '/emulator/phone' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(page.body).toContain('Dial *384*1#');
      expect((await plain.inject({ url: '/emulator/phone' })).statusCode).toBe(404);
    } finally {
      await demo.close();
      await plain.close();
    }
  });
});
