import { defineManifest } from '@crxjs/vite-plugin';
import pkg from './package.json' with { type: 'json' };

/**
 * Nothing runs on any web page at install: no content_scripts, no host_permissions. The
 * organization's admins approve their EHR origins (synced at sign-in); the user grants host
 * access to them from the popup (optional_host_permissions, on a click), and the background
 * registers the content script there only (chrome.scripting.registerContentScripts). The CareText
 * server's origin is asked for the same way at sign-in. The sidebar itself is an extension page
 * (web_accessible_resources) the content script frames into the EHR tab, so page scripts cannot
 * read it; the background answers it only in tabs on approved origins.
 */
export default defineManifest({
  manifest_version: 3,
  name: 'CareText for your EHR',
  short_name: 'CareText',
  description: 'Text and message patients from a sidebar inside your EHR.',
  version: pkg.version,
  icons: { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png', 48: 'icons/icon-48.png', 128: 'icons/icon-128.png' },
  action: { default_popup: 'src/popup/index.html', default_title: 'CareText', default_icon: { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png' } },
  background: { service_worker: 'src/background/main.ts', type: 'module' },
  permissions: ['storage', 'alarms', 'scripting'],
  optional_host_permissions: ['http://*/*', 'https://*/*'],
  // Any site may frame the page, but it shows nothing there: the background gives the sidebar a
  // patient only in a tab whose page is on an approved origin (and read by our content script).
  web_accessible_resources: [{ resources: ['src/sidebar/index.html'], matches: ['http://*/*', 'https://*/*'] }],
  commands: {
    'toggle-sidebar': { suggested_key: { default: 'Alt+Shift+S', mac: 'Alt+Shift+S' }, description: 'Show or hide the CareText sidebar' },
  },
});
