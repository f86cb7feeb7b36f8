/**
 * The V8 flags the server runs with: `npm start`, `npm run start:prod` (and so the Dockerfile
 * and the systemd unit), the benchmarks and the tests that spawn a server all pass these.
 *
 * `--max-semi-space-size=32` caps the young generation at 32 MB a half. Unset, V8 sizes it by
 * the machine's memory and grows it under load: 64 MB a half on a 24 GiB machine, where each
 * scavenge of the payments path's short-lived objects stopped the server for 5–17 ms, every
 * half second. At 32 MB they take 3–7 ms; at 16 MB, 2–4 ms, but twice as many objects outlive
 * their scavenges into the old generation, whose collections then stalled payments for up to
 * 110 ms (docs/payments.md, "7 Dec 2026, later").
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'] as const;
