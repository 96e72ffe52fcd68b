import { readFileSync } from 'node:fs';
import path from 'node:path';
import { JSDOM } from 'jsdom';

const DIR = path.resolve(__dirname, '../../test/fixtures/ehr');

export function fixtureHtml(name: string): string {
  return readFileSync(path.join(DIR, name), 'utf8');
}

/** A fixture page as the browser would have it at `url` (scripts run, so the SPA renders). */
export function fixturePage(name: string, url: string): { window: JSDOM['window']; document: Document; url: URL } {
  const dom = new JSDOM(fixtureHtml(name), { url, runScripts: 'dangerously', pretendToBeVisual: true });
  return { window: dom.window, document: dom.window.document, url: new URL(url) };
}
