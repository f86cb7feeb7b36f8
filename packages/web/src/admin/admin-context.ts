import type { AdminApi, Permission } from './admin-api';
import type { FleetFeed } from './fleet-feed';

/** What every console page is handed: the admin API, the live fleet feed, and who is signed in. */
export interface AdminContext {
  api: AdminApi;
  feed: FleetFeed;
  /** the signed-in operator's account id (they cannot disable or re-role themselves) */
  meId: string;
  /**
   * Whether the signed-in operator may do this, as /api/me says: the console hides what they may
   * not do (the server refuses it anyway). False until /api/me has answered.
   */
  can: (permission: Permission) => boolean;
}
