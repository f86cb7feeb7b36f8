import { createHash, timingSafeEqual } from 'node:crypto';
import { meterMayPublish, meterMaySubscribe, METER_NO_PATTERN, TOPIC_ROOT } from '@umeme/protocol';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeviceAuthenticator } from './broker';
import { isDeathNotice, serverMayPublish, serverMaySubscribe } from './broker';
import type { Metrics } from '../shared/metrics';

/**
 * Authentication and authorisation for brokers that call out over HTTP (issue 14 §4): EMQX 5's
 * HTTP authenticator and authoriser, and mosquitto-go-auth's HTTP backend. The same rules as the
 * embedded broker: a meter is username = client id = meter number with its current secret, and
 * publishes and reads only its own topics; the server's account publishes commands and reads
 * reports. Registered only when MQTT_AUTH_HOOK_SECRET is set; every call must carry it.
 */

/** calls per broker address per window: a whole fleet reconnecting at once fits, a guessing loop does not */
export const AUTH_HOOK_RATE_LIMIT = { max: 20_000, timeWindow: '10 seconds' } as const;

interface AuthHookOptions {
  secret: string;
  serverUsername: string;
  /** the server's own broker password; without it the server's account is refused here */
  serverPassword: string | undefined;
  devices: DeviceAuthenticator;
  metrics: Metrics;
}

type Who = { kind: 'server' } | { kind: 'meter'; meterNo: string } | null;
type HookAction = 'publish' | 'subscribe' | 'read';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** Who an already-authenticated broker user is, from the username alone. */
function identify(opts: AuthHookOptions, username: string): Who {
  if (username === opts.serverUsername) return opts.serverPassword ? { kind: 'server' } : null;
  return METER_NO_PATTERN.test(username) ? { kind: 'meter', meterNo: username } : null;
}

export async function hookAuthenticate(
  opts: AuthHookOptions,
  username: string,
  password: string,
  clientId: string,
): Promise<boolean> {
  if (!username || !password) return false;
  if (username === opts.serverUsername) {
    return opts.serverPassword !== undefined && sameSecret(password, opts.serverPassword);
  }
  // A meter's client id is its meter number, so nobody can take over another meter's session.
  if (!METER_NO_PATTERN.test(username) || clientId !== username) return false;
  return opts.devices.verify(username, password);
}

export function hookAuthorize(
  opts: AuthHookOptions,
  username: string,
  action: HookAction,
  topic: string,
): boolean {
  const who = identify(opts, username);
  if (!who) return false;
  if (who.kind === 'server') {
    if (action === 'publish') return serverMayPublish(topic);
    if (action === 'subscribe') return serverMaySubscribe(topic);
    if (isDeathNotice(topic)) return true;
    return topic.startsWith(`${TOPIC_ROOT}/`) && !topic.includes('/command/');
  }
  if (action === 'publish') return meterMayPublish(who.meterNo, topic);
  if (action === 'subscribe') return meterMaySubscribe(who.meterNo, topic);
  return topic.startsWith(`${TOPIC_ROOT}/${who.meterNo}/command/`) && !/[+#]/.test(topic);
}

const text = z.string().max(1024).optional();
// Brokers send what their operator's body template says: unknown fields (peerhost, qos…) are
// dropped rather than refused, and a missing field is an empty string, which is denied.
const emqxAuthnBody = z.object({ username: text, password: text, clientid: text });
const emqxAuthzBody = z.object({ username: text, clientid: text, topic: text, action: text });
const emqxResponse = z.object({ result: z.enum(['allow', 'deny']), is_superuser: z.boolean() });
const goAuthUserBody = z.object({ username: text, password: text, clientid: text });
const goAuthAclBody = z.object({
  username: text,
  clientid: text,
  topic: text,
  acc: z.union([z.number(), z.string()]).optional(),
});
const goAuthResponse = z.object({ ok: z.boolean(), error: z.string() });

/** mosquitto-go-auth's `acc`: 1 read (deliver), 2 write (publish), 3 both, 4 subscribe. */
function goAuthActions(acc: number): HookAction[] | null {
  switch (acc) {
    case 1:
      return ['read'];
    case 2:
      return ['publish'];
    case 3:
      return ['read', 'publish'];
    case 4:
      return ['subscribe'];
    default:
      return null;
  }
}

function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  // mosquitto-go-auth cannot send headers: its URIs carry the secret as `?s=`.
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.s === 'string' ? query.s : undefined;
}

export const authHookRoutes =
  (opts: AuthHookOptions): FastifyPluginAsyncZod =>
  async (app) => {
    // mosquitto-go-auth posts form fields unless told to send JSON; only these routes parse them.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 8 * 1024 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    app.addHook('onRequest', async (request, reply) => {
      const presented = presentedSecret(request);
      if (presented === undefined || !sameSecret(presented, opts.secret)) {
        opts.metrics.mqttAuthFailures.inc({ reason: 'hook_secret' });
        return reply.status(401).send({ error: 'UNAUTHENTICATED', message: 'Authentication required.' });
      }
    });
    // The URL may carry the secret: these routes log only warnings and errors.
    const routeOptions = {
      logLevel: 'warn' as const,
      config: { auth: 'public' as const, rateLimit: AUTH_HOOK_RATE_LIMIT },
    };
    const count = (ok: boolean, action: string) => {
      if (!ok) opts.metrics.mqttAclDenied.inc({ action: `hook_${action}` });
    };

    app.post(
      '/mqtt/emqx/authn',
      { ...routeOptions, schema: { body: emqxAuthnBody, response: { 200: emqxResponse } } },
      async (req) => {
        const b = req.body;
        const ok = await hookAuthenticate(opts, b.username ?? '', b.password ?? '', b.clientid ?? '');
        if (!ok) opts.metrics.mqttAuthFailures.inc({ reason: 'hook_denied' });
        return { result: ok ? ('allow' as const) : ('deny' as const), is_superuser: false };
      },
    );
    app.post(
      '/mqtt/emqx/authz',
      { ...routeOptions, schema: { body: emqxAuthzBody, response: { 200: emqxResponse } } },
      async (req) => {
        const b = req.body;
        const action = b.action === 'publish' || b.action === 'subscribe' ? b.action : null;
        const ok = action !== null && hookAuthorize(opts, b.username ?? '', action, b.topic ?? '');
        count(ok, action ?? 'other');
        return { result: ok ? ('allow' as const) : ('deny' as const), is_superuser: false };
      },
    );
    app.post(
      '/mqtt/go-auth/user',
      {
        ...routeOptions,
        schema: { body: goAuthUserBody, response: { 200: goAuthResponse, 403: goAuthResponse } },
      },
      async (req, reply) => {
        const b = req.body;
        const ok = await hookAuthenticate(opts, b.username ?? '', b.password ?? '', b.clientid ?? '');
        if (!ok) opts.metrics.mqttAuthFailures.inc({ reason: 'hook_denied' });
        return reply.status(ok ? 200 : 403).send({ ok, error: ok ? '' : 'denied' });
      },
    );
    app.post(
      '/mqtt/go-auth/superuser',
      { ...routeOptions, schema: { body: goAuthUserBody, response: { 403: goAuthResponse } } },
      async (_req, reply) => reply.status(403).send({ ok: false, error: 'no superusers' }),
    );
    app.post(
      '/mqtt/go-auth/acl',
      {
        ...routeOptions,
        schema: { body: goAuthAclBody, response: { 200: goAuthResponse, 403: goAuthResponse } },
      },
      async (req, reply) => {
        const b = req.body;
        const actions = goAuthActions(Number(b.acc));
        const ok =
          actions !== null && actions.every((a) => hookAuthorize(opts, b.username ?? '', a, b.topic ?? ''));
        count(ok, actions?.join('_') ?? 'other');
        return reply.status(ok ? 200 : 403).send({ ok, error: ok ? '' : 'denied' });
      },
    );
  };
