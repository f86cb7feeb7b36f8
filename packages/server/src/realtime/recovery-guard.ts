import type { Namespace } from 'socket.io';

type Session = Awaited<ReturnType<Namespace['adapter']['restoreSession']>>;

/**
 * Connection state recovery restores a socket's rooms and hands it the packets it missed
 * before any middleware runs, as they were when it dropped. A room's right to be there can
 * have ended meanwhile (a watched meter moved to another customer), so each session is put to
 * `stillEntitled` first; one that fails is not recovered at all: the client connects afresh
 * (`recovered === false`), gets `balance_initial` and refetches over HTTP, as after any
 * recovery that could not be made. Works on any adapter (in-memory or Redis streams).
 */
export function guardRecovery(
  nsp: Namespace,
  stillEntitled: (session: NonNullable<Session>) => Promise<boolean>,
  onError: (err: unknown) => void,
): void {
  const adapter = nsp.adapter;
  const restore = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = async (pid, offset) => {
    const session = await restore(pid, offset);
    if (!session) return session;
    try {
      if (await stillEntitled(session)) return session;
    } catch (err) {
      onError(err);
    }
    // Socket.IO's typings say a session always comes back; at run time it checks for one.
    return null as unknown as Session;
  };
}
