import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageReading } from '../ehr/registry';
import { HOST_ID, watchPage } from './page-watch';

// The page's time is the test's (fake timers and performance.now): how long this machine takes
// to run a step never changes what the watcher sees.
const wait = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const settle = () => wait(250);
const chart = (name: string, mrn: string) => `<main id="chart"><dl><dt>Patient name</dt><dd>${name}</dd><dt>MRN</dt><dd>${mrn}</dd></dl></main>`;

let stop: (() => void) | null = null;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
  stop?.();
  stop = null;
  document.body.innerHTML = '';
  history.replaceState({}, '', '/');
});

function watch(definitions: Parameters<typeof watchPage>[0] = []) {
  const seen: (PageReading | null)[] = [];
  const w = watchPage(definitions, (r) => seen.push(r));
  stop = w.stop;
  return { seen, names: () => seen.map((r) => r?.patient.name ?? null), w };
}

describe('watching the page for the patient on screen', () => {
  it('reads at once, then follows a single-page app to the next patient once its chart settles', async () => {
    document.body.innerHTML = chart('Ana Silva', 'SPA-001');
    const { names } = watch();
    expect(names()).toEqual(['Ana Silva']);

    history.pushState({}, '', '/spa/patients/2');
    document.getElementById('chart')!.textContent = 'Loading…';
    await wait(40);
    document.body.innerHTML = chart('Ben Okafor', 'SPA-002');
    await settle();
    // The brief "Loading…" never reached the sidebar: one change, to Ben.
    expect(names()).toEqual(['Ana Silva', 'Ben Okafor']);
  });

  it('says so when the patient leaves the screen, and reads again on back/forward', async () => {
    document.body.innerHTML = chart('Ana Silva', 'SPA-001');
    const { names } = watch();
    document.body.innerHTML = '<p>Choose a patient.</p>';
    await settle();
    document.body.innerHTML = chart('Ana Silva', 'SPA-001');
    window.dispatchEvent(new PopStateEvent('popstate'));
    await settle();
    expect(names()).toEqual(['Ana Silva', null, 'Ana Silva']);
  });

  it('ignores changes inside its own sidebar and schedules nothing while the page is still', async () => {
    document.body.innerHTML = chart('Ana Silva', 'SPA-001');
    const host = Object.assign(document.createElement('div'), { id: HOST_ID });
    document.body.append(host);
    const { seen } = watch();
    await settle();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    host.setAttribute('data-open', 'true');
    host.append(document.createElement('span'));
    await wait(50);
    expect(timers.mock.calls.filter(([, ms]) => ms === 150)).toHaveLength(0);
    timers.mockRestore();
    expect(seen).toHaveLength(1);
  });

  it('picks up admin-defined adapters synced while the page is open', () => {
    document.body.innerHTML = '<div class="pt"><b class="given">Dana</b> <b class="family">Whitfield</b> <i class="chart">AC-778</i></div>';
    const { seen, w } = watch();
    expect(seen).toEqual([]);
    w.setDefinitions([{ id: 'a1', name: 'Acme', urlPattern: '*://*/*', selectors: { firstName: '.given', lastName: '.family', mrn: '.chart' } }]);
    expect(seen.map((r) => [r?.adapterId, r?.patient.name, r?.patient.mrn])).toEqual([['admin:a1', 'Dana Whitfield', 'AC-778']]);
  });
});

describe('a page that never stops changing', () => {
  it('is still read, at most every couple of seconds', async () => {
    document.body.innerHTML = `${chart('Ana Silva', 'SPA-001')}<span id="clock"></span>`;
    const { names } = watch();
    const clock = setInterval(() => (document.getElementById('clock')!.textContent = String(performance.now())), 50);
    document.getElementById('chart')!.outerHTML = chart('Ben Okafor', 'SPA-002');
    await wait(2_600);
    clearInterval(clock);
    expect(names()).toEqual(['Ana Silva', 'Ben Okafor']);
  });

  it('reports a list of patients too (a schedule): when it appears, when a row changes, and when it goes', async () => {
    const row = (name: string, mrn: string) => `<tr><td>${name}</td><td>${mrn}</td></tr>`;
    const table = (...rows: string[]) => `<table><thead><tr><th>Patient</th><th>MRN</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    document.body.innerHTML = '<h1>Schedule</h1>';
    const lists: (string[] | null)[] = [];
    const w = watchPage([], (_, list) => lists.push(list ? list.rows.map((r) => r.mrn!) : null));
    stop = w.stop;
    expect(lists).toEqual([]);
    document.body.innerHTML = table(row('Ana Silva', 'A-1'), row('Ben Okafor', 'B-2'));
    await wait(2_100); // past the longest back-off of a page that kept not changing
    document.querySelector('tbody')!.insertAdjacentHTML('beforeend', row('Chen Wei', 'C-3'));
    await wait(2_100); // past the longest back-off of a page that kept not changing
    document.body.innerHTML = '<h1>Schedule</h1>';
    await wait(2_100); // past the longest back-off of a page that kept not changing
    expect(lists).toEqual([['A-1', 'B-2'], ['A-1', 'B-2', 'C-3'], null]);
  });
});
