import type { RouteAuth } from '../../packages/server/src/shared/http';

/**
 * The access level every HTTP route must have. A route missing from this list fails the
 * security suite: whoever adds a route decides its level here, on purpose.
 */
export const ROUTE_MANIFEST: Record<string, RouteAuth> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  // its own bearer token (METRICS_TOKEN), absent (404) without one: tests/security/unauthenticated-surfaces.test.ts
  'GET /metrics': 'public',
  'POST /auth/register': 'public',
  'POST /auth/login': 'public',
  // finishes a self-registration with the code sent to the address (issue 13, finding 12)
  'POST /auth/verify': 'public',
  // forgotten password (issue 17): a code to the account's email and phone, then the code with a new password
  'POST /auth/password-reset': 'public',
  'POST /auth/password-reset/confirm': 'public',
  // ends every session of the account (SEC-9)
  'POST /auth/logout': 'user',
  'POST /api/me/password': 'user',
  'GET /api/me': 'user',
  'GET /api/meters': 'user',
  'GET /api/meters/:meterNo': 'user',
  'POST /api/meters': 'admin',
  'POST /api/meters/:meterNo/rotate-secret': 'admin',
  'POST /api/meters/:meterNo/revoke': 'admin',
  // a customer adds a meter by account number and claim code; operators issue the codes (issue 17)
  'POST /api/meters/claim': 'user',
  'GET /api/admin/meters/:meterNo/claim-code': 'admin',
  'POST /api/admin/meters/:meterNo/claim-code': 'admin',
  // broker accounts (issue 14): meters that cannot connect, and new secrets in bulk (audited, CSV once)
  'GET /api/admin/meters/unprovisioned': 'admin',
  'POST /api/admin/meters/rotate-secrets': 'admin',
  'POST /api/meters/:meterNo/balance': 'device',
  'POST /api/meters/:meterNo/status': 'device',
  'GET /api/meters/:meterNo/consumption': 'user',
  'GET /api/transactions/:userId': 'user',
  'GET /api/transactions/meter/:meterNo': 'user',
  // the same lists in keyset pages (the original paths answer a plain array)
  'GET /api/v2/transactions/:userId': 'user',
  'GET /api/v2/transactions/meter/:meterNo': 'user',
  // a purchase's receipt: its owner or an admin (404 for anyone else)
  'GET /api/transactions/:id/receipt': 'user',
  'POST /daraja/simulate': 'user',
  'POST /daraja/stkpush': 'user',
  'GET /daraja/intents/:id': 'user',
  // Daraja calls these: guarded by the secret in the URL and the optional address allow-list
  'POST /daraja/callback/:token': 'public',
  'POST /daraja/c2b/validation': 'public',
  'POST /daraja/c2b/confirmation': 'public',
  // Africa's Talking calls these (issue 18): guarded like Daraja's, secret path and optional allow-list
  'POST /africastalking/ussd/:token': 'public',
  'POST /africastalking/delivery/:token': 'public',
  // the SMS outbox with delivery status and monthly cost (operators); a customer's SMS language and opt-out
  'GET /api/admin/sms': 'admin',
  'GET /api/me/sms': 'user',
  'PUT /api/me/sms': 'user',
  // web push (issue 18 §4): the VAPID public key, and the caller's own browsers' subscriptions
  'GET /api/push/config': 'user',
  'GET /api/push/subscriptions': 'user',
  'POST /api/push/subscriptions': 'user',
  'DELETE /api/push/subscriptions': 'user',
  'POST /transactions/topup': 'user',
  'GET /transactions/topup': 'user',
  'PATCH /transactions/topup/:id/process': 'admin',
  // operator review of callbacks that matched no payment request
  'GET /api/admin/payments/orphans': 'admin',
  'POST /api/admin/payments/orphans/:id/assign': 'admin',
  'POST /api/admin/payments/orphans/:id/dismiss': 'admin',
  // operator console (issue 5)
  'GET /api/admin/meters': 'admin',
  'GET /api/admin/meters/:meterNo': 'admin',
  'POST /api/admin/meters/:meterNo/assign': 'admin',
  'POST /api/admin/meters/import': 'admin',
  'POST /api/admin/meters/:meterNo/relay': 'admin',
  'POST /api/admin/meters/:meterNo/config': 'admin',
  'POST /api/admin/meters/:meterNo/adjustments': 'admin',
  'POST /api/admin/transactions/:id/move': 'admin',
  // implausible register jumps held by ingest (MQ-13): list and decide, with a reason
  'GET /api/admin/register-holds': 'admin',
  'POST /api/admin/register-holds/:id/accept': 'admin',
  'POST /api/admin/register-holds/:id/reset-epoch': 'admin',
  'POST /api/admin/register-holds/:id/dismiss': 'admin',
  'POST /api/meters/:meterNo/emergency': 'user',
  'GET /api/admin/users': 'admin',
  'POST /api/admin/users/:id/disable': 'admin',
  'POST /api/admin/users/:id/enable': 'admin',
  // people management (issue 17 item 6): each says its permission (tests/security/operator-roles.test.ts)
  'POST /api/admin/operators': 'admin',
  'POST /api/admin/users/:id/role': 'admin',
  'POST /api/admin/users/:id/password-reset': 'admin',
  'POST /api/admin/users/:id/phone': 'admin',
  'GET /api/admin/alerts': 'admin',
  'POST /api/admin/alerts/:id/ack': 'admin',
  'GET /api/admin/audit': 'admin',
  'GET /api/admin/reports/daily': 'admin',
  'GET /api/admin/reports/monthly': 'admin',
  'GET /api/admin/statements/:userId/:month': 'admin',
  'GET /api/statements/:month': 'user',
  // friendly hours (issue 5 §4)
  'GET /api/admin/friendly-hours': 'admin',
  'PUT /api/admin/friendly-hours': 'admin',
  // what the dashboard needs to know (demo mode, the emulator's virtual phone)
  'GET /api/config': 'public',
  // tariffs (issue 17 item 2): the price everyone pays is public; versions are the operators'
  'GET /api/tariff': 'public',
  'GET /api/tariff/quote': 'public',
  'GET /api/admin/tariffs': 'admin',
  'POST /api/admin/tariffs': 'admin',
  'POST /api/admin/tariffs/:id/cancel': 'admin',
  'GET /api/admin/tariff-groups': 'admin',
  'POST /api/admin/tariff-groups/:group/meters': 'admin',
  // the HTTP contract and its viewer (issue 15 item 5): they document routes, never secrets
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/static/*': 'public',
  // the built dashboard
  'GET /': 'public',
  'GET /*': 'public',
};

/** Routes that answer something other than JSON, so they have no response schema. */
export const NON_JSON_ROUTES = new Set([
  'GET /metrics',
  'GET /',
  'GET /*',
  // a CSV of new device secrets, returned once
  'POST /api/admin/meters/rotate-secrets',
  // the OpenAPI document: it names request fields such as `password`, and holds no values
  'GET /openapi.json',
  'GET /docs/json',
  'GET /docs/yaml',
  // Swagger UI's page and files
  'GET /docs',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/static/*',
]);

/** Response fields that may carry a credential, and the only routes that may return them. */
export const SECRET_FIELD_ALLOW_LIST: Record<string, readonly string[]> = {
  'POST /auth/login': ['token'],
  'POST /auth/verify': ['token'],
  'POST /api/me/password': ['token'],
  'POST /api/meters': ['mqttPassword'],
  'POST /api/meters/:meterNo/rotate-secret': ['mqttPassword'],
  'POST /api/admin/meters/import': ['mqttPassword'],
  // a temporary password, shown once to the operator who set it
  'POST /api/admin/operators': ['temporaryPassword'],
  'POST /api/admin/users/:id/password-reset': ['temporaryPassword'],
};

export const SECRET_FIELD = /password|hash|secret|token/i;
