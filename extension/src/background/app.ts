// The max variant: the background validates numbers with max already (ehr/normalize.ts).
import { formatPhoneForDisplayMax as formatPhoneForDisplay } from '@caretext/shared';
import type { AdapterDefinition } from '../ehr/admin-defined';
import { normalizePatient } from '../ehr/normalize';
import { contextKey, type PatientContext } from '../ehr/patient-context';
import { listKey, type PageList, type PageReading } from '../ehr/registry';
import type { LocalSettings } from '../local-settings';
import type { Answer, Push, Request, RequestOf, RequestType, Results } from '../protocol';
import type { BlastAudience } from '../protocol';
import { ATTACHMENT_MAX_BYTES, type AttachmentView, type BlastPreviewView, type BlastProgressView, BlastSentView, BlastSetupView, BlastTestView, HistoryChange, HistoryMessage, HistoryView, ListMatchView, ListRowView, LookupView, PatientSummary, PatientView, SessionView } from '../views';
import { INSECURE_SERVER, isSecureServer } from '../server-address';
import { type Api, createApi, failureOf, isSignedOut, isUnreachable, serverOrigin } from './api';
import { Connectivity } from './connectivity';
import { type LiveEvent, LiveFeed } from './live';
import { type Delivery, Outbox, SendRefused } from './outbox';
import { LookupLimiter } from './rate-limit';
import type { CareTextDb, SessionRecord } from './store';

/** What the background needs from the browser, so the logic runs in tests without Chrome. */
export type Platform = {
  saveLocal(items: Partial<LocalSettings>): Promise<void>;
  /** To every open sidebar. */
  broadcast(push: Push): void;
  /** Is any sidebar open (worth keeping the live feed)? */
  sidebarsOpen(): number;
  /** Wake the (stoppable) service worker periodically while messages wait. */
  retryLater(waiting: boolean): void;
  fetch: typeof fetch;
  /** The approved EHR origins as last synced (for the popup). */
  approvedOrigins(): string[];
  /** Milliseconds (the lookup rate limit); Date.now in Chrome, a test clock in tests. */
  now?(): number;
};

/** Where a request came from, as the background's sender rules established it. */
export type From = { tabId: number | null };

/** What the content scripts of one tab read: the top page's own reading and list, and its frames'. */
type TabReading = { own: PageReading | null; frames: Map<number, PageReading>; ownList: PageList | null; frameLists: Map<number, PageList> };

class Refusal extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const TEAMS_TTL_MS = 30_000;

/**
 * The service worker's state and every request it answers: the session (token never leaves
 * here), the tRPC client, the outbox, drafts, the live feed and the connection state.
 */
export class Background {
  private session: SessionRecord | null = null;
  private api: Api | null = null;
  private teams: { at: number; orgId: string; value: PatientView['teams'] } | null = null;
  private readonly lastHistory = new Map<string, Omit<HistoryView, 'outbox'>>();
  private readonly tabs = new Map<number, TabReading>();
  private readonly limiter: LookupLimiter;
  readonly outbox: Outbox;
  readonly connectivity: Connectivity;
  readonly live: LiveFeed;
  readonly ready: Promise<void>;

  constructor(
    private readonly db: CareTextDb,
    private readonly platform: Platform,
  ) {
    this.connectivity = new Connectivity(
      () => this.probe(),
      (online) => {
        this.platform.broadcast({ type: 'connection', online });
        if (online) this.onReconnected();
      },
    );
    this.outbox = new Outbox(db, () => this.delivery(), {
      onUnreachable: () => this.connectivity.unreachable(),
      onSignedOut: () => void this.expire(),
      onChange: (pending) => {
        this.platform.broadcast({ type: 'outbox', pending });
        this.platform.retryLater(pending > 0);
      },
    });
    this.live = new LiveFeed({
      onEvent: (event) => this.onLiveEvent(event),
      onStarted: () => {
        this.connectivity.reachable();
        this.platform.broadcast({ type: 'resync' });
      },
      onDown: () => this.connectivity.unreachable(),
      onSignedOut: () => void this.expire(),
    });
    this.limiter = new LookupLimiter(platform.now ?? Date.now);
    this.ready = this.load();
  }

  // ---- what the EHR tabs show (reported by content scripts on approved origins only) --------

  /** A content script's reading (and list); answers the tab's current ones if either changed. */
  setReading(tabId: number, frameId: number, reading: PageReading | null, list: PageList | null = null): { changed: boolean; current: PageReading | null; list: PageList | null } {
    const before = this.readingOf(tabId);
    const beforeList = listKey(this.listOf(tabId));
    const tab = this.tabs.get(tabId) ?? { own: null, frames: new Map(), ownList: null, frameLists: new Map() };
    if (frameId === 0) {
      tab.own = reading;
      tab.ownList = list;
    } else {
      if (reading) tab.frames.set(frameId, reading);
      else tab.frames.delete(frameId);
      if (list) tab.frameLists.set(frameId, list);
      else tab.frameLists.delete(frameId);
    }
    this.tabs.set(tabId, tab);
    const current = this.readingOf(tabId);
    const currentList = this.listOf(tabId);
    const changed = contextKey(before?.patient ?? null) !== contextKey(current?.patient ?? null) || beforeList !== listKey(currentList);
    return { changed, current, list: currentList };
  }

  /** The list of patients the tab shows: the page's own first, else the frame that reported last. */
  listOf(tabId: number): PageList | null {
    const tab = this.tabs.get(tabId);
    return tab ? (tab.ownList ?? [...tab.frameLists.values()].at(-1) ?? null) : null;
  }

  /** The page's own reading first, else the frame that reported last. */
  readingOf(tabId: number): PageReading | null {
    const tab = this.tabs.get(tabId);
    return tab ? (tab.own ?? [...tab.frames.values()].at(-1) ?? null) : null;
  }

  tabClosed(tabId: number): void {
    this.tabs.delete(tabId);
    this.limiter.forget(tabId);
  }

  /**
   * A lookup goes out only for the patient a content script on an approved origin reported for
   * this very tab, and at most a few times a minute per tab.
   */
  private lookupAllowed(from: From, page: PatientContext): void {
    const current = from.tabId === null ? null : this.readingOf(from.tabId);
    if (from.tabId === null || !current || contextKey(current.patient) !== contextKey(page)) {
      throw new Refusal('CareText looks up only the patient your EHR page shows.', 'not_on_page');
    }
    if (!this.limiter.take(from.tabId)) {
      throw new Refusal('Too many patient lookups from this tab in the last minute. Wait a minute, then reload the page.', 'rate_limited');
    }
  }

  /** The same rules for a list: only the rows the tab's content script reported, and one lookup from the allowance. */
  private listMatchAllowed(from: From, rows: PatientContext[]): void {
    const current = from.tabId === null ? null : this.listOf(from.tabId);
    if (from.tabId === null || !current || listKey(current) !== listKey({ adapterId: current.adapterId, rows })) {
      throw new Refusal('CareText matches only the list of patients your EHR page shows. Reload the page and try again.', 'not_on_page');
    }
    if (!this.limiter.take(from.tabId)) {
      throw new Refusal('Too many patient lookups from this tab in the last minute. Wait a minute, then try again.', 'rate_limited');
    }
  }

  private delivery(): Delivery | null {
    const api = this.api;
    return api && { send: (input) => api.conversations.send.mutate(input) };
  }

  private async load(): Promise<void> {
    this.session = (await this.db.session.get('current')) ?? null;
    if (this.session?.token) this.api = createApi(this.session.serverUrl, this.session.token);
  }

  /** Answers one request; every failure comes back as data. */
  async handle<T extends RequestType>(request: RequestOf<T>, from: From = { tabId: null }): Promise<Answer<Results[T]>> {
    await this.ready;
    try {
      return { ok: true, value: (await this.dispatch(request as Request, from)) as Results[T] };
    } catch (error) {
      if (error instanceof SendRefused) return { ok: false, error: error.failure };
      if (error instanceof Refusal) return { ok: false, error: { message: error.message, reason: error.reason, details: {} } };
      if (isUnreachable(error)) this.connectivity.unreachable();
      if (isSignedOut(error)) await this.expire();
      return { ok: false, error: failureOf(error) };
    }
  }

  private dispatch(r: Request, from: From): Promise<Results[RequestType]> {
    switch (r.type) {
      case 'session.get':
        return this.sessionView();
      case 'session.signIn':
        return this.signIn(r.serverUrl, r.email, r.password);
      case 'session.signOut':
        return this.signOut();
      case 'session.switchOrg':
        return this.switchOrg(r.orgId);
      case 'patient.lookup':
        return this.lookup(r.page, from);
      case 'patients.matchList':
        return this.matchList(r.rows, from);
      case 'patient.create':
        return this.create(r.page, from);
      case 'patient.linkMrn':
        return this.linkMrn(r.patientId, r.page, from);
      case 'patient.view':
        return this.view(r.patientId, r.teamId);
      case 'patient.history':
        return this.history(r.patientId);
      case 'draft.save':
        return this.saveDraft(r.patientId, r.body);
      case 'message.send': {
        const { orgId } = this.signedIn();
        return this.outbox.send({ ...r, orgId }).then(async (result) => {
          await this.db.drafts.delete([orgId, r.patientId]);
          return result;
        });
      }
      case 'outbox.discard':
        return this.outbox.discard(r.idempotencyKey).then(() => null);
      case 'secure.resendLink':
        // The server checks the caller is on the conversation's team (conversationProcedure).
        return this.signedIn().api.portal.resendLink.mutate({ conversationId: r.conversationId }).then((answer) => answer.notification);
      case 'attachment.upload':
        return this.uploadAttachment(r);
      case 'sidebar.setOpen':
        return this.platform.saveLocal({ sidebarOpen: r.open }).then(() => null);
      case 'outbox.list':
        return this.outbox.forPatient(this.signedIn().orgId, r.patientId);
      case 'blast.setup':
        return this.blastSetup();
      case 'blast.preview':
        return this.signedIn().api.blasts.preview.query({ ...audienceOf(r), marketing: false });
      case 'blast.sendTest':
        return this.blastTest(r);
      case 'blast.send':
        return this.blastSend(r);
      case 'blast.progress':
        return this.blastProgress(r.blastId);
    }
  }

  // ---- session -----------------------------------------------------------------------------

  async sessionView(): Promise<SessionView> {
    const s = this.session;
    return {
      signedIn: Boolean(s?.token),
      serverUrl: s?.serverUrl ?? null,
      email: s?.email ?? null,
      user: s?.token ? s.user : null,
      org: s?.token ? s.org : null,
      orgs: s?.token ? s.orgs : [],
      online: this.connectivity.online,
      pendingOutbox: await this.outbox.pending(),
      ehrOrigins: s?.token ? this.platform.approvedOrigins() : [],
    };
  }

  private async signIn(typedUrl: string, email: string, password: string): Promise<SessionView> {
    const origin = serverOrigin(typedUrl);
    if (!origin) throw new Refusal('Enter the CareText server address, e.g. https://caretext.yourclinic.org', 'invalid_server');
    if (!isSecureServer(origin)) throw new Refusal(INSECURE_SERVER, 'insecure_server');
    const { token } = await createApi(origin, null).auth.signIn.mutate({ email, password, client: 'extension' });
    if (!token) throw new Refusal('The server did not issue an extension session.', 'no_token');
    if (this.session && (this.session.serverUrl !== origin || this.session.email !== email.trim().toLowerCase())) await this.forgetLocalData();
    this.api = createApi(origin, token);
    this.session = { id: 'current', serverUrl: origin, email: email.trim().toLowerCase(), token, user: null, org: null, orgs: [] };
    await this.refreshMe();
    await this.platform.saveLocal({ serverOrigin: origin });
    await this.syncAdapters().catch((error) => console.warn('[caretext] adapter sync failed', failureOf(error).message));
    this.signedInChanged();
    return this.sessionView();
  }

  /** Who am I and in which organization; picks the first organization when none is active. */
  private async refreshMe(): Promise<void> {
    const api = this.api!;
    let me = await api.auth.me.query();
    if (me && !me.activeOrgId && me.orgs.length) {
      await api.orgs.switch.mutate({ orgId: me.orgs[0]!.id });
      me = await api.auth.me.query();
    }
    if (!me) throw new Refusal('The server did not accept the session.', 'signed_out');
    const org = me.orgs.find((o) => o.id === me.activeOrgId) ?? null;
    this.session = { ...this.session!, user: { name: me.user.name, email: me.user.email }, org: org && { id: org.id, name: org.name }, orgs: me.orgs };
    await this.db.session.put(this.session);
  }

  private async switchOrg(orgId: string): Promise<SessionView> {
    const api = this.signedIn().api;
    await api.orgs.switch.mutate({ orgId });
    this.teams = null;
    this.lastHistory.clear();
    await this.refreshMe();
    await this.syncAdapters().catch(() => undefined);
    this.signedInChanged();
    return this.sessionView();
  }

  private async signOut(): Promise<SessionView> {
    await this.api?.auth.signOut.mutate().catch(() => undefined);
    await this.forgetLocalData();
    this.session = this.session && { ...this.session, token: null, user: null, org: null, orgs: [] };
    if (this.session) await this.db.session.put(this.session);
    this.api = null;
    await this.platform.saveLocal({ ehrAdapters: [], ehrOrigins: [] });
    this.signedInChanged();
    return this.sessionView();
  }

  /** Drafts and unsent messages are patient data: they do not outlive the session that wrote them. */
  private async forgetLocalData(): Promise<void> {
    this.lastHistory.clear();
    await this.db.drafts.clear();
    await this.outbox.clear();
    this.teams = null;
  }

  /** The server refused the token (expired, revoked): keep the address and email for signing in again. */
  private async expire(): Promise<void> {
    if (!this.session?.token) return;
    this.session = { ...this.session, token: null };
    await this.db.session.put(this.session);
    this.api = null;
    this.signedInChanged();
  }

  private signedInChanged(): void {
    this.live.stop();
    this.platform.broadcast({ type: 'session' });
    this.sidebarsChanged();
  }

  private signedIn(): { api: Api; orgId: string } {
    if (!this.api || !this.session?.token) throw new Refusal('Sign in to CareText from the toolbar button.', 'signed_out');
    if (!this.session.org) throw new Refusal('Create or join an organization in the CareText web app first.', 'no_org');
    return { api: this.api, orgId: this.session.org.id };
  }

  /**
   * Admin-defined adapters for this organization (published ones only, for the content scripts)
   * and the approved EHR origins: the content script is registered on those origins and the
   * published adapters' URL patterns, and nowhere else.
   */
  async syncAdapters(): Promise<void> {
    if (!this.api || !this.session?.org) return;
    const [all, origins] = await Promise.all([this.api.ehrAdapters.list.query(), this.api.ehrAdapters.origins.query()]);
    const definitions: AdapterDefinition[] = all.filter((a) => a.published).map((a) => ({ id: a.id, name: a.name, urlPattern: a.urlPattern, selectors: a.selectors, rows: a.rows }));
    const ehrOrigins = [...new Set([...origins.map((o) => o.pattern), ...definitions.map((d) => d.urlPattern)])];
    await this.platform.saveLocal({ ehrAdapters: definitions, ehrOrigins });
  }

  // ---- patients ----------------------------------------------------------------------------

  private async lookup(page: PatientContext, from: From): Promise<LookupView> {
    const normalized = normalizePatient(page);
    if (!this.api || !this.session?.token || !this.session.org) return { signedIn: false, page: normalized, patient: null, matchedBy: null, differentMrn: null };
    this.lookupAllowed(from, page);
    const found = await this.api.patients.match.query({
      mrn: normalized.mrn,
      // As the page shows it: the server normalizes with the organization's country.
      phone: page.phone,
      firstName: normalized.firstName,
      lastName: normalized.lastName,
      dob: normalized.dob,
    });
    const differentMrn = 'differentMrn' in found && found.differentMrn ? summaryOf(found.differentMrn) : null;
    const differentDob = 'differentDob' in found && found.differentDob ? summaryOf(found.differentDob) : null;
    return { signedIn: true, page: normalized, patient: found.patient && summaryOf(found.patient), matchedBy: found.matchedBy, differentMrn, differentDob };
  }

  /**
   * "Text these N patients": the page's list matched on the server (patients.matchMany, the
   * single match's rules), and the web app's blast wizard URL with the matched patients.
   */
  private async matchList(rows: PatientContext[], from: From): Promise<ListMatchView> {
    const { api } = this.signedIn();
    this.listMatchAllowed(from, rows);
    const pages = rows.map((row) => normalizePatient(row));
    const answer = await api.patients.matchMany.mutate({
      // Phones as the page shows them: the server normalizes with the organization's country.
      rows: pages.map((p, i) => ({ mrn: p.mrn, phone: rows[i]!.phone, firstName: p.firstName, lastName: p.lastName, dob: p.dob })),
    });
    const views: ListRowView[] = answer.rows.map((r) => {
      const name = pages[r.index]?.displayName ?? 'Unnamed patient';
      return r.status === 'matched' ? { name, status: 'matched', patient: r.patient } : { name, status: 'unmatched', reason: r.reason };
    });
    const matchedIds = [...new Set(answer.rows.flatMap((r) => (r.status === 'matched' ? [r.patient.id] : [])))];
    const blastUrl = matchedIds.length ? `${this.session!.serverUrl}/comms/blasts/new?patients=${matchedIds.map(encodeURIComponent).join(',')}` : null;
    return { rows: views, matchedIds, blastUrl };
  }

  // ---- Secure Chat files from the sidebar's composer --------------------------------------------

  /**
   * Uploads one file to the team's secure thread with the patient (`conversations.startSecure`
   * finds or opens it: the conversation a send by patient and team uses), as the Inbox does:
   * `POST /api/attachments` with the bytes as the body. The server checks the team, the type
   * (from the bytes) and its own size limit; its refusal comes back in its words.
   */
  private async uploadAttachment(r: { patientId: string; teamId: string; name: string; data: string }): Promise<AttachmentView> {
    const { api } = this.signedIn();
    const data = typeof r.data === 'string' ? r.data : '';
    // Base64 is 4 characters per 3 bytes: refuse before decoding what is too large anyway.
    if (data.length > Math.ceil(ATTACHMENT_MAX_BYTES / 3) * 4) throw new Refusal(tooLargeText(), 'too_large');
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0)) as Uint8Array<ArrayBuffer>;
    } catch {
      throw new Refusal('The file could not be read. Attach it again.', 'unreadable');
    }
    if (bytes.length === 0) throw new Refusal('The file is empty.', 'empty');
    if (bytes.length > ATTACHMENT_MAX_BYTES) throw new Refusal(tooLargeText(), 'too_large');
    const { conversationId } = await api.conversations.startSecure.mutate({ teamId: String(r.teamId), patientId: String(r.patientId) });
    const name = typeof r.name === 'string' && r.name.trim() ? r.name.slice(0, 255) : 'file';
    const url = `${this.session!.serverUrl}/api/attachments?conversationId=${encodeURIComponent(conversationId)}&name=${encodeURIComponent(name)}`;
    let res: Response;
    try {
      res = await this.platform.fetch(url, { method: 'POST', headers: { authorization: `Bearer ${this.session!.token}`, 'content-type': 'application/octet-stream' }, body: bytes, cache: 'no-store' });
    } catch {
      this.connectivity.unreachable();
      throw new Refusal('The upload failed: CareText is unreachable. Check your connection and attach the file again.', 'offline');
    }
    const body = (await res.json().catch(() => ({}))) as { id?: unknown; fileName?: unknown; contentType?: unknown; size?: unknown; error?: unknown };
    if (res.status === 201 && typeof body.id === 'string') {
      return { id: body.id, fileName: String(body.fileName ?? name), contentType: String(body.contentType ?? ''), size: Number(body.size ?? bytes.length) };
    }
    if (res.status === 401) await this.expire();
    const said = typeof body.error === 'string' ? body.error : null;
    throw new Refusal(said ?? UPLOAD_REFUSED[res.status] ?? `The upload failed (HTTP ${res.status}). Try again.`, UPLOAD_REASON[res.status] ?? 'upload_failed');
  }

  // ---- blasts from the sidebar (the server checks the caller is on the number's team) --------

  private async blastSetup(): Promise<BlastSetupView> {
    const { api } = this.signedIn();
    const [numbers, cohorts, templates] = await Promise.all([api.numbers.list.query(), api.cohorts.list.query(), api.templates.list.query({})]);
    // The team of each active number I am on (as the web wizard): a blast goes out from its team's number.
    const teams = [...new Map(numbers.filter((n) => n.isMine).map((n) => [n.team.id, { id: n.team.id, name: n.team.name, number: n.display }])).values()];
    return {
      teams,
      cohorts: cohorts.map((c) => ({ id: c.id, name: c.name, patientCount: c.patientCount })),
      templates: templates.map((t) => ({ id: t.id, name: t.name, body: t.body, team: t.team?.id ?? null })),
      orgName: this.session!.org!.name,
      webUrl: this.session!.serverUrl,
    };
  }

  private async blastTest(r: BlastAudience & { body: string; confirmPhi?: boolean }): Promise<BlastTestView> {
    const { api } = this.signedIn();
    const sent = await api.blasts.sendTest.mutate({ ...audienceOf(r), marketing: false, body: String(r.body), ...(r.confirmPhi === true ? { confirmPhi: true } : {}) });
    const sample = sent.samplePatient ? [sent.samplePatient.firstName, sent.samplePatient.lastName].filter(Boolean).join(' ') || null : null;
    return { to: sent.to, toDisplay: formatPhoneForDisplay(sent.to), samplePatient: sample };
  }

  /** One blast per idempotency key: a second click (or a retry after a lost answer) gets the first blast back. */
  private async blastSend(r: BlastAudience & { name?: string; body: string; idempotencyKey: string; confirmPhi?: boolean }): Promise<BlastSentView> {
    const { api } = this.signedIn();
    const name = typeof r.name === 'string' && r.name.trim() ? { name: r.name.trim() } : {};
    const answer = await api.blasts.send.mutate({ ...audienceOf(r), marketing: false, ...name, body: String(r.body), idempotencyKey: String(r.idempotencyKey), ...(r.confirmPhi === true ? { confirmPhi: true } : {}) });
    return { duplicate: answer.duplicate, blast: await this.blastProgress(answer.blast.id) };
  }

  private async blastProgress(blastId: string): Promise<BlastProgressView> {
    const { api } = this.signedIn();
    const b = await api.blasts.get.query({ blastId: String(blastId) });
    const { total, sent, failed, skipped, queued, canceled, awaitingReport } = b.stats;
    return { id: b.id, name: b.name, status: b.status, stats: { total, sent, failed, skipped, queued, canceled, awaitingReport }, resultsUrl: `${this.session!.serverUrl}/comms/blasts/${encodeURIComponent(b.id)}` };
  }

  private async create(page: PatientContext, from: From): Promise<LookupView> {
    const { api } = this.signedIn();
    this.lookupAllowed(from, page);
    const p = normalizePatient(page);
    const created = await api.patients.create.mutate({ firstName: p.firstName, lastName: p.lastName, dob: p.dob, mrn: p.mrn, phone: page.phone, email: p.email });
    return { signedIn: true, page: p, patient: summaryOf(created), matchedBy: null, differentMrn: null };
  }

  /**
   * "Different MRN": a person decided the CareText record is this page's patient and its MRN
   * is out of date. The server updates it (an audited patient edit, the same rules as editing
   * the patient in the web app); from then on the page matches by MRN.
   */
  private async linkMrn(patientId: string, page: PatientContext, from: From): Promise<LookupView> {
    const { api } = this.signedIn();
    this.lookupAllowed(from, page);
    const p = normalizePatient(page);
    if (!p.mrn) throw new Refusal('The page shows no MRN to link.', 'no_mrn');
    const updated = await api.patients.update.mutate({ patientId, mrn: p.mrn });
    return { signedIn: true, page: p, patient: summaryOf(updated), matchedBy: 'mrn', differentMrn: null };
  }

  private async myTeams(api: Api, orgId: string): Promise<PatientView['teams']> {
    if (this.teams && this.teams.orgId === orgId && Date.now() - this.teams.at < TEAMS_TTL_MS) return this.teams.value;
    const [teams, numbers] = await Promise.all([api.teams.list.query(), api.numbers.list.query()]);
    const value = teams.filter((t) => t.isMine).map((t) => ({ id: t.id, name: t.name, number: numbers.find((n) => n.team.id === t.id)?.display ?? null }));
    this.teams = { at: Date.now(), orgId, value };
    return value;
  }

  private async view(patientId: string, wantedTeam: string | null): Promise<PatientView> {
    const { api, orgId } = this.signedIn();
    const teams = await this.myTeams(api, orgId);
    const teamId = teams.find((t) => t.id === wantedTeam)?.id ?? teams.find((t) => t.number)?.id ?? teams[0]?.id ?? null;
    const [availability, history, templates, draft] = await Promise.all([
      teamId ? api.conversations.availability.query({ teamId, patientIds: [patientId] }) : null,
      this.history(patientId),
      api.templates.list.query(teamId ? { teamId } : {}),
      this.db.drafts.get([orgId, patientId]),
    ]);
    return {
      ...history,
      teams,
      teamId,
      availability: availability && { secure: availability.secure, sms: availability.sms },
      templates: templates.map((t) => ({ id: t.id, name: t.name, body: t.body, requestsConfirmation: t.requestsConfirmation, team: t.team?.name ?? null })),
      draft: draft?.body ?? '',
      confirmationWords: availability?.confirmationWords ?? null,
      orgName: this.session?.org?.name ?? '',
    };
  }

  /**
   * The patient's messages and what waits in the outbox. Offline, the outbox still shows, next
   * to the last history this worker fetched (or none, after a restart).
   */
  private async history(patientId: string): Promise<HistoryView> {
    const { api, orgId } = this.signedIn();
    const outbox = await this.outbox.forPatient(orgId, patientId);
    let server: Omit<HistoryView, 'outbox'>;
    try {
      server = historyOf(await api.conversations.forPatient.query({ patientId }));
      this.lastHistory.set(patientId, server);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.connectivity.unreachable();
      server = this.lastHistory.get(patientId) ?? { messages: [], conversationIds: [], optOuts: [] };
    }
    return { ...server, outbox };
  }

  private async saveDraft(patientId: string, body: string): Promise<null> {
    const { orgId } = this.signedIn();
    if (body.trim()) await this.db.drafts.put({ orgId, patientId, body: body.slice(0, 5000), updatedAt: Date.now() });
    else await this.db.drafts.delete([orgId, patientId]);
    return null;
  }

  // ---- live updates and connection ---------------------------------------------------------

  /** Keep the live feed while a sidebar is open and someone is signed in to an organization. */
  sidebarsChanged(): void {
    const wanted = this.platform.sidebarsOpen() > 0 && Boolean(this.api && this.session?.org);
    if (wanted && !this.live.running) this.live.start(this.api!);
    if (!wanted && this.live.running) this.live.stop();
  }

  private onLiveEvent(event: LiveEvent): void {
    // The server's event channel dropped: changes may have been missed, as after a reconnect.
    if (event.type === 'resync') this.platform.broadcast({ type: 'resync' });
    // A blast wrote to (or was canceled in) many conversations: a sidebar showing one re-reads it.
    else if (event.type === 'conversations.changed') this.platform.broadcast({ type: 'conversations.changed', conversationIds: event.conversationIds });
    else if (event.type !== 'access.revoked') {
      const change = historyChange(event);
      if (change) this.platform.broadcast({ type: 'message', ...change });
    } else {
      // Removed from the organization or a team: re-read who we are.
      this.teams = null;
      void this.refreshMe()
        .catch(() => undefined)
        .then(() => this.signedInChanged());
    }
  }

  private async probe(): Promise<boolean> {
    if (!this.session) return false;
    const res = await this.platform.fetch(`${this.session.serverUrl}/health`, { cache: 'no-store' });
    return res.ok;
  }

  private onReconnected(): void {
    void this.outbox.flush();
    if (this.live.running) return;
    this.sidebarsChanged();
  }

  /** Periodic wake-up (alarm) and service worker start: send what waits, refresh adapters. */
  async wake(options = { adapters: true }): Promise<void> {
    await this.ready;
    if (!this.api) return;
    if ((await this.outbox.pending()) > 0) await this.outbox.flush();
    if (!options.adapters) return;
    await this.syncAdapters().catch((error) => {
      if (isUnreachable(error)) this.connectivity.unreachable();
      if (isSignedOut(error)) void this.expire();
    });
  }
}

/** The server's words come first; these stand in when a proxy answered instead. */
const UPLOAD_REFUSED: Record<number, string> = {
  401: 'Sign in to CareText again from the toolbar button.',
  403: 'You cannot add files to this conversation.',
  413: 'The file is too large.',
  415: 'This type of file cannot be sent.',
};
const UPLOAD_REASON: Record<number, string> = { 401: 'signed_out', 403: 'forbidden', 413: 'too_large', 415: 'wrong_type' };

export function tooLargeText(max = ATTACHMENT_MAX_BYTES): string {
  return `The file is larger than ${Math.round(max / 1024 / 1024)} MB, the largest the sidebar sends. Send a smaller file.`;
}

/** The audience fields only, as the server takes them (nothing else the message carried). */
function audienceOf(r: BlastAudience): BlastAudience {
  return { teamId: String(r.teamId), cohortIds: Array.isArray(r.cohortIds) ? r.cohortIds.map(String) : [] };
}

type ServerHistory = Awaited<ReturnType<Api['conversations']['forPatient']['query']>>;

type ServerMessage = ServerHistory['messages'][number];

/** A message as the sidebar shows it: plain JSON (it crosses to the sidebar's port). */
function historyMessage(m: ServerMessage): HistoryMessage {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    channel: m.channel,
    body: m.body,
    status: m.status,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    sender: m.sender,
    sendAfter: m.sendAfter ? new Date(m.sendAfter).toISOString() : null,
    createdAt: new Date(m.createdAt).toISOString(),
    requestsConfirmation: m.requestsConfirmation,
    confirmation: m.confirmation,
    readAt: isoOrNull((m as { readAt?: Date | string | null }).readAt),
    // Secure Chat: recalled, and the files (names only: the sidebar says how many, the Inbox opens them).
    ...filesOf(m as { recalled?: boolean; attachments?: { id: string; fileName: string; recalled: boolean }[] }),
  };
}

function filesOf(m: { recalled?: boolean; attachments?: { id: string; fileName: string; recalled: boolean }[] }): Pick<HistoryMessage, 'recalled' | 'attachments'> {
  return {
    ...(m.recalled ? { recalled: true } : {}),
    ...(m.attachments?.length ? { attachments: m.attachments.map((a) => ({ id: a.id, fileName: a.fileName, recalled: Boolean(a.recalled) })) } : {}),
  };
}

function isoOrNull(at: Date | string | null | undefined): string | null {
  return at ? new Date(at).toISOString() : null;
}

/**
 * A live event as the sidebars get it (for the patient it concerns; each sidebar keeps only its
 * own patient's). Null when no sidebar shows what changed (an unread count: the inbox's concern).
 */
export function historyChange(event: Exclude<LiveEvent, { type: 'access.revoked' } | { type: 'resync' } | { type: 'conversations.changed' }>): HistoryChange | null {
  const where = { patientId: event.patientId, conversationId: event.conversationId };
  const optOutChanged = event.conversation?.optOut !== undefined;
  if (event.type === 'message.created') return { ...where, added: historyMessage({ ...event.message, conversationId: event.conversationId }), changed: null, optOutChanged };
  if (event.type === 'message.updated') {
    const { id, status, errorCode, errorMessage, confirmation } = event.message;
    const readAt = isoOrNull((event.message as { readAt?: Date | string | null }).readAt);
    // A recall (and a file recalled) reaches an open sidebar at once, as it reaches the Inbox.
    const files = event.message as { recalled?: boolean; attachments?: { id: string; fileName: string; recalled: boolean }[] };
    const recall = files.recalled ? { recalled: true } : {};
    const attachments = files.attachments ? { attachments: files.attachments.map((a) => ({ id: a.id, fileName: a.fileName, recalled: Boolean(a.recalled) })) } : {};
    return { ...where, added: null, changed: { id, status, errorCode, errorMessage, confirmation, ...(readAt ? { readAt } : {}), ...recall, ...attachments }, optOutChanged };
  }
  return optOutChanged ? { ...where, added: null, changed: null, optOutChanged } : null;
}

function historyOf(history: ServerHistory): Omit<HistoryView, 'outbox'> {
  return {
    messages: history.messages.map(historyMessage),
    conversationIds: history.conversations.map((c) => c.id),
    optOuts: history.optOuts.map((o) => ({ number: o.number, keyword: o.keyword, at: new Date(o.at).toISOString() })),
  };
}

type ServerPatient = {
  id: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  mrn: string | null;
  phone: string | null;
  phoneLineType: string;
  email: string | null;
  dob: string | null;
  optedOut: boolean;
  blocked: boolean;
};

function summaryOf(p: ServerPatient): PatientSummary {
  return {
    id: p.id,
    displayName: p.displayName,
    firstName: p.firstName,
    lastName: p.lastName,
    mrn: p.mrn,
    phone: p.phone,
    phoneDisplay: p.phone ? formatPhoneForDisplay(p.phone) : null,
    phoneLineType: p.phoneLineType,
    email: p.email,
    dob: p.dob,
    optedOut: p.optedOut,
    blocked: p.blocked,
  };
}

