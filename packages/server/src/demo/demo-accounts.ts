/**
 * The demo's accounts. Their passwords are printed at start-up and in the README: they exist
 * only in demo mode, flagged `users.demo`, and cannot sign in outside it.
 */
export const DEMO_ADMIN = { email: 'admin@umeme.local', password: 'umeme-admin', name: 'Demo Operator' };
export const DEMO_CUSTOMER = {
  email: 'wanjiku@umeme.local',
  password: 'umeme-demo',
  name: 'Wanjiku Kamau',
  phone: '254712345678',
};
export const DEMO_ACCOUNTS = [DEMO_ADMIN, DEMO_CUSTOMER] as const;
