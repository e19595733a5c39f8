/** The run panel: info, metrics, params, tags, artifacts (preview and download), models. */
import { append, errorText, formatBytes, formatDuration, formatNumber, formatTime, h } from './dom.js';
import type { FileInfo, RunRecord, Tracker } from './edge.js';
import { MODELS_TAG, modelsOf } from './trainer.js';

export interface RunDetailHandlers {
  open(runId: string): void;
  predict(modelUri: string): void;
}

const TEXT = /\.(txt|md|json|ya?ml|csv|js|py|toml|cfg|log)$|(^|\/)(MLmodel|requirements\.txt)$/;
const IMAGE = /\.(png|jpe?g|gif|webp|svg)$/i;

export class RunDetail {
  private objectUrls: string[] = [];
  runId: string | undefined;

  constructor(
    private readonly tracker: Tracker,
    private readonly section: HTMLElement,
    private readonly title: HTMLElement,
    private readonly body: HTMLElement,
    private readonly handlers: RunDetailHandlers,
  ) {}

  async show(runId: string, focus = true): Promise<void> {
    const same = this.runId === runId;
    this.runId = runId;
    let run: RunRecord;
    try {
      run = await this.tracker.getRun(runId);
    } catch (error) {
      this.body.replaceChildren(h('p', { class: 'error' }, errorText(error)));
      this.section.hidden = false;
      return;
    }
    const runFiles: FileSource = {
      list: (dir) => this.tracker.listArtifacts(runId, dir),
      read: (path) => this.tracker.readArtifact(runId, path),
    };
    const artifacts = await listAll(runFiles, '');
    const models = await Promise.all(
      modelsOf(runId, run.data.tags[MODELS_TAG]).map(async (m) => {
        // MLflow 3 logged models (models:/m-…) keep their files apart from the run's artifacts.
        const modelId = /^models:\/(m-[0-9a-f]+)$/.exec(m.uri)?.[1];
        const source: FileSource | undefined =
          modelId && typeof this.tracker.listLoggedModelArtifacts === 'function'
            ? {
                list: (dir) => this.tracker.listLoggedModelArtifacts(modelId, dir),
                read: (path) => this.tracker.readLoggedModelArtifact(modelId, path),
              }
            : undefined;
        return { ...m, source, files: source ? await listAll(source, '').catch(() => []) : [] };
      }),
    );
    if (this.runId !== runId) return;
    this.revoke();
    const { info, data } = run;
    this.title.textContent = `Run ${info.runName}`;
    const parent = data.tags['mlflow.parentRunId'];
    const metricKeys = Object.keys(data.metrics).sort();
    const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
    this.body.replaceChildren();
    append(
      this.body,
      h(
        'dl',
        { class: 'facts' },
        ...fact('Run ID', h('code', {}, info.runId)),
        ...fact('Status', info.status),
        ...fact('Experiment', `${info.experimentName} (${info.experimentId})`),
        ...fact('Started', formatTime(info.startTime)),
        ...(info.endTime !== undefined ? fact('Duration', formatDuration(info.endTime - info.startTime)) : []),
        ...(parent
          ? fact(
              'Parent run',
              h('button', { type: 'button', class: 'link', onclick: () => this.handlers.open(parent) }, parent),
            )
          : []),
        ...fact(
          'On the server',
          info.remoteRunId ? h('code', { 'data-remote-run-id': info.remoteRunId }, info.remoteRunId) : 'not yet',
        ),
      ),
      models.length ? h('h3', {}, 'Models') : null,
      ...models.map((m) =>
        h(
          'div',
          { class: 'model', 'data-model-uri': m.uri },
          h(
            'p',
            {},
            h('strong', {}, m.name),
            ' ',
            h('code', {}, m.uri),
            ' ',
            h('button', { type: 'button', onclick: () => this.handlers.predict(m.uri) }, `Predict with ${m.name}`),
          ),
          m.source ? this.fileList(m.files, m.source, preview, `${m.name}/`) : null,
        ),
      ),
      h('h3', {}, 'Metrics (latest)'),
      table(
        ['key', 'value'],
        metricKeys.map((k) => [k, formatNumber(data.metrics[k])]),
        'metrics',
      ),
      h('h3', {}, 'Parameters'),
      table(
        ['key', 'value'],
        Object.entries(data.params).sort(([a], [b]) => a.localeCompare(b)),
        'params',
      ),
      h('h3', {}, 'Tags'),
      table(
        ['key', 'value'],
        Object.entries(data.tags).sort(([a], [b]) => a.localeCompare(b)),
        'tags',
      ),
      h('h3', {}, 'Artifacts'),
      artifacts.length ? this.fileList(artifacts, runFiles, preview, '') : h('p', { class: 'hint' }, 'No artifacts.'),
      preview,
    );
    this.section.hidden = false;
    if (focus) this.title.focus({ preventScroll: same });
  }

  /** Files with preview and download buttons; `prefix` names them (a logged model's files by model name). */
  private fileList(files: FileInfo[], source: FileSource, preview: HTMLElement, prefix: string): HTMLElement {
    return h(
      'ul',
      { class: 'artifacts' },
      ...files.map((f) => {
        const shown = prefix + f.path;
        return h(
          'li',
          { 'data-path': shown },
          h('span', { class: 'path' }, shown),
          h('span', { class: 'hint' }, ` ${formatBytes(f.fileSize ?? 0)} `),
          TEXT.test(f.path) || IMAGE.test(f.path)
            ? h(
                'button',
                {
                  type: 'button',
                  'aria-label': `Preview ${shown}`,
                  onclick: () => this.preview(source, f.path, shown, preview),
                },
                'Preview',
              )
            : null,
          h(
            'button',
            { type: 'button', 'aria-label': `Download ${shown}`, onclick: () => this.download(source, f.path) },
            'Download',
          ),
        );
      }),
    );
  }

  private async preview(source: FileSource, path: string, shownPath: string, box: HTMLElement): Promise<void> {
    try {
      const blob = await source.read(path);
      const heading = h('h4', {}, shownPath);
      if (IMAGE.test(path)) {
        const url = URL.createObjectURL(path.endsWith('.svg') ? new Blob([blob], { type: 'image/svg+xml' }) : blob);
        this.objectUrls.push(url);
        box.replaceChildren(heading, h('img', { src: url, alt: `Artifact ${shownPath}` }));
      } else {
        let text = await blob.text();
        if (path.endsWith('.json')) {
          try {
            text = JSON.stringify(JSON.parse(text), null, 2);
          } catch {
            /* shown as it is */
          }
        }
        const shown =
          text.length > 100_000
            ? `${text.slice(0, 100_000)}\n… (${formatBytes(blob.size)} in all; download it for the rest)`
            : text;
        box.replaceChildren(heading, h('pre', { tabindex: 0, 'aria-label': `Contents of ${shownPath}` }, shown));
      }
    } catch (error) {
      box.replaceChildren(h('p', { class: 'error' }, errorText(error)));
    }
  }

  private async download(source: FileSource, path: string): Promise<void> {
    const blob = await source.read(path);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: path.split('/').pop() ?? 'artifact' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private revoke(): void {
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls = [];
  }
}

interface FileSource {
  list(dir: string): Promise<FileInfo[]>;
  read(path: string): Promise<Blob>;
}

async function listAll(source: FileSource, dir: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for (const f of await source.list(dir)) {
    if (f.isDir) out.push(...(await listAll(source, f.path)));
    else out.push(f);
  }
  return out;
}

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function table(head: string[], rows: (string | undefined)[][], name: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'hint' }, 'None.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'kv', 'data-kind': name },
      h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...rows.map((r) =>
          h('tr', {}, ...r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c ?? '') : h('td', {}, c ?? '')))),
        ),
      ),
    ),
  );
}
