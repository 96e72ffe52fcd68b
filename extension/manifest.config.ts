import { defineManifest } from '@crxjs/vite-plugin';
import pkg from './package.json' with { type: 'json' };

/**
 * The EHR can live on any host (admins add adapters for theirs without a release), and the
 * CareText server URL is typed at sign-in, so both the content script and the background's
 * requests need http(s) hosts. The content script stays dormant on pages where no adapter reads
 * a patient.
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
  permissions: ['storage', 'alarms'],
  host_permissions: ['http://*/*', 'https://*/*'],
  // all_frames: OpenEMR (and other EHRs) show the chart in an iframe of their shell; frames
  // report to the top frame, which alone shows the sidebar.
  content_scripts: [{ matches: ['http://*/*', 'https://*/*'], js: ['src/content/main.tsx'], run_at: 'document_end', all_frames: true }],
  commands: {
    'toggle-sidebar': { suggested_key: { default: 'Alt+Shift+S', mac: 'Alt+Shift+S' }, description: 'Show or hide the CareText sidebar' },
  },
});
