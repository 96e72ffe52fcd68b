import type { AdapterDefinition } from './ehr/admin-defined';

/**
 * chrome.storage.local: nothing secret (content scripts can read it). The background writes the
 * admin-defined adapters and the server's origin; the sidebar remembers whether it is open.
 */
export type LocalSettings = {
  ehrAdapters: AdapterDefinition[];
  /**
   * The EHR origins (match patterns) the organization's admins approved, with the published
   * adapters' URL patterns: the content script is registered there, and only there, once the
   * user granted host access.
   */
  ehrOrigins: string[];
  /** The CareText web app is not an EHR: the sidebar stays off its pages. */
  serverOrigin: string | null;
  sidebarOpen: boolean;
};

export const LOCAL_DEFAULTS: LocalSettings = { ehrAdapters: [], ehrOrigins: [], serverOrigin: null, sidebarOpen: true };
