import type { AdminApi } from './admin-api';
import type { FleetFeed } from './fleet-feed';

/** What every console page is handed: the admin API and the live fleet feed. */
export interface AdminContext {
  api: AdminApi;
  feed: FleetFeed;
}
