import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageList, PageReading } from '../ehr/registry';
import { type LocalSettings, LOCAL_DEFAULTS } from '../local-settings';
import { usePush } from './pushes';
import { Sidebar } from './Sidebar';
import './sidebar.css';

/**
 * The sidebar page, framed by the content script into an approved EHR tab. It runs on the
 * extension's origin: the EHR page cannot read or script it. The patient on screen comes from
 * the background (what the tab's content scripts read), never from the page.
 */
function SidebarPage() {
  const [reading, setReading] = useState<PageReading | null | undefined>(undefined);
  const [list, setList] = useState<PageList | null>(null);
  const [open, setOpen] = useState<boolean | null>(null);
  usePush((push) => {
    if (push.type === 'reading') {
      setReading(push.reading);
      setList(push.list ?? null);
    }
  });
  useEffect(() => {
    void chrome.storage.local.get(LOCAL_DEFAULTS).then((s) => setOpen((s as LocalSettings).sidebarOpen));
  }, []);
  // For the budgets bench: when the sidebar first showed the page's patient (in this frame's
  // timeline; the bench maps it onto the page's through performance.timeOrigin).
  useEffect(() => {
    if (open !== null && (reading || list) && !performance.getEntriesByName('caretext:sidebar-visible').length) performance.mark('caretext:sidebar-visible');
  }, [open, reading, list]);
  if (open === null || reading === undefined) return null;
  return <Sidebar reading={reading} list={list} initiallyOpen={open} />;
}

render(<SidebarPage />, document.getElementById('app')!);
