import { z } from 'zod';

// The server's Content-Security-Policy has no 'unsafe-eval'. Zod compiles object parsers with
// `new Function` when it may, and its probe for that alone is reported as a CSP violation; the
// interpreted parsers are plenty fast for a handful of socket events. It must run before any
// schema is built, so main.tsx imports this module first.
z.config({ jitless: true });
