/** The sync panel: server and credentials, status, progress, errors, dead letters, storage. */
import { $, errorText, formatBytes, formatTime, h } from './dom.js';
import type { RemoteOptions, SyncStatus, Tracker } from './edge.js';

const URI_KEY = 'mlflow-edge-demo.trackingUri';

export class SyncPanel {
  private readonly form = $<HTMLFormElement>('#sync-form');
  private readonly errorBox = $('#sync-error');
  private peak = 0;
  private status: SyncStatus | undefined;

  constructor(
    private readonly tracker: Tracker,
    private readonly onSynced: () => void,
  ) {
    const kind = $<HTMLSelectElement>('#auth-kind');
    const showAuth = () => {
      for (const el of document.querySelectorAll<HTMLElement>('.auth-basic')) el.hidden = kind.value !== 'basic';
      for (const el of document.querySelectorAll<HTMLElement>('.auth-token')) el.hidden = kind.value !== 'token';
    };
    kind.addEventListener('change', showAuth);
    showAuth();
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.connect();
    });
    $('#sync-button').addEventListener('click', () => void this.syncNow());
    $('#disconnect-button').addEventListener('click', () => void this.disconnect());
    $('#persist-button').addEventListener('click', () => void this.persist());
    const net = () => this.renderBadges();
    addEventListener('online', net);
    addEventListener('offline', net);
    tracker.onSyncStatus((status) => this.render(status));
  }

  /** Reconnects to the remembered server (no credentials are remembered). */
  async start(): Promise<void> {
    const saved = localStorage.getItem(URI_KEY);
    if (saved) {
      $<HTMLInputElement>('#tracking-uri').value = saved;
      await this.tracker
        .setRemote({ trackingUri: saved })
        .catch((error: unknown) => (this.errorBox.textContent = errorText(error)));
    }
    this.render(await this.tracker.syncStatus());
    await this.renderStorage();
  }

  private remote(): RemoteOptions {
    const form = new FormData(this.form);
    const trackingUri = String(form.get('trackingUri') ?? '')
      .trim()
      .replace(/\/+$/, '');
    const kind = String(form.get('authKind'));
    const auth =
      kind === 'basic'
        ? { username: String(form.get('username') ?? ''), password: String(form.get('password') ?? '') }
        : kind === 'token'
          ? { token: String(form.get('token') ?? '') }
          : undefined;
    return { trackingUri, autoSync: form.get('autoSync') !== null, ...(auth ? { auth } : {}) };
  }

  async connect(): Promise<void> {
    this.errorBox.textContent = '';
    const remote = this.remote();
    try {
      await this.tracker.setRemote(remote);
      localStorage.setItem(URI_KEY, remote.trackingUri);
      this.render(await this.tracker.syncStatus());
    } catch (error) {
      this.errorBox.textContent = errorText(error);
    }
  }

  async syncNow(): Promise<void> {
    this.errorBox.textContent = '';
    const result = $('#sync-result');
    result.textContent = 'Uploading…';
    try {
      await this.tracker.sync();
      result.textContent = `Everything logged so far is on the server (${new Date().toLocaleTimeString()}).`;
      this.onSynced();
    } catch (error) {
      result.textContent = '';
      this.errorBox.textContent = errorText(error);
    }
  }

  async disconnect(): Promise<void> {
    this.errorBox.textContent = '';
    await this.tracker.setRemote(null);
    localStorage.removeItem(URI_KEY);
    this.render(await this.tracker.syncStatus());
  }

  private async persist(): Promise<void> {
    const granted = await this.tracker.requestPersistence().catch(() => false);
    await this.renderStorage(
      granted
        ? 'Granted: the browser will not evict this data.'
        : 'Not granted by the browser (it may grant it to installed or often used sites).',
    );
  }

  async renderStorage(note?: string): Promise<void> {
    const { usage, quota, persisted } = await this.tracker.storage();
    const box = $('#storage');
    box.replaceChildren(
      h('dt', {}, 'Used'),
      h('dd', {}, `${formatBytes(usage)} of ${formatBytes(quota)}`),
      h('dt', {}, 'Persisted'),
      h(
        'dd',
        { id: 'persisted' },
        persisted ? 'yes' : 'no (best effort: the browser may evict it under storage pressure)',
      ),
      ...(note ? [h('dt', {}, 'Request'), h('dd', {}, note)] : []),
    );
  }

  private renderBadges(): void {
    const online = navigator.onLine;
    const net = $('#net-badge');
    net.textContent = online ? 'online' : 'offline';
    net.dataset.state = online ? 'online' : 'offline';
    const s = this.status;
    const sync = $('#sync-badge');
    sync.textContent = !s || !s.configured ? 'local only' : `sync: ${s.state}`;
    sync.dataset.state = s?.state ?? 'disabled';
  }

  render(status: SyncStatus): void {
    this.status = status;
    const p = status.pending;
    const items = p.runs + p.params + p.tags + p.metrics + p.artifacts + p.models + p.registry;
    this.peak = items === 0 ? 0 : Math.max(this.peak, items);
    const progress = $<HTMLProgressElement>('#sync-progress');
    progress.value = this.peak === 0 ? (status.configured ? 1 : 0) : (this.peak - items) / this.peak;
    progress.dataset.pending = String(items);
    const box = $('#sync-status');
    box.dataset.state = status.state;
    box.dataset.pending = String(items);
    box.replaceChildren(
      h('dt', {}, 'Server'),
      h('dd', {}, status.trackingUri ?? 'none (everything stays in this browser)'),
      h('dt', {}, 'State'),
      h(
        'dd',
        { id: 'sync-state' },
        `${status.state}${status.configured ? (status.leader ? ' (this tab uploads)' : ' (another tab uploads)') : ''}`,
      ),
      h('dt', {}, 'Network'),
      h('dd', {}, status.online ? 'online' : 'offline'),
      h('dt', {}, 'To upload'),
      h(
        'dd',
        { id: 'sync-pending' },
        `${p.runs} runs, ${p.params} params, ${p.tags} tags, ${p.metrics} metric points, ${p.artifacts} artifacts, ${p.models} models, ${p.registry} registry changes (${formatBytes(p.bytes)})${status.inFlight ? `; ${status.inFlight} requests under way` : ''}`,
      ),
      h('dt', {}, 'Last upload'),
      h('dd', {}, status.lastSuccessTime ? formatTime(status.lastSuccessTime) : 'never'),
      h('dt', {}, 'Last error'),
      h(
        'dd',
        { id: 'sync-last-error' },
        status.lastError
          ? `${status.lastError.code}: ${status.lastError.message} (${formatTime(status.lastError.at)})`
          : 'none',
      ),
      ...(status.lastNotice
        ? [
            h('dt', {}, 'Note'),
            h('dd', { id: 'sync-notice' }, `${status.lastNotice.message} (${formatTime(status.lastNotice.at)})`),
          ]
        : []),
    );
    const dead = $('#dead-letters');
    dead.replaceChildren(
      ...(status.deadLetters.length
        ? [
            h('h3', {}, `Dead letters (${status.deadLetters.length}): refused by the server, not retried`),
            h(
              'ul',
              {},
              ...status.deadLetters.map((d) =>
                h('li', {}, `${d.kind} ${d.key} of run ${d.runId}: ${d.message} (${formatTime(d.at)})`),
              ),
            ),
          ]
        : []),
    );
    this.renderBadges();
    if (status.configured && items === 0 && status.state === 'idle') this.onSynced();
  }
}
