/**
 * The runs table: MLflow filter syntax (tracker.searchRuns), sortable
 * columns, child runs under their parent, keyboard-openable rows, and a
 * "compare" tick per run for the chart.
 */
import { errorText, formatNumber, formatTime, h } from './dom.js';
import type { RunRecord, Tracker } from './edge.js';

interface Column {
  id: string;
  label: string;
  value(run: RunRecord): string | number | undefined;
  numeric?: boolean;
}

const param = (key: string) => (run: RunRecord) => {
  const v = run.data.params[key];
  return v === undefined || Number.isNaN(Number(v)) ? v : Number(v);
};
const metric = (key: string) => (run: RunRecord) => run.data.metrics[key];

export const COLUMNS: Column[] = [
  { id: 'name', label: 'Run', value: (r) => r.info.runName },
  { id: 'status', label: 'Status', value: (r) => r.info.status },
  { id: 'experiment', label: 'Experiment', value: (r) => r.info.experimentName },
  { id: 'model', label: 'Model', value: (r) => r.data.tags.model_type },
  { id: 'hidden', label: 'hidden', value: param('hidden'), numeric: true },
  { id: 'lr', label: 'learning_rate', value: param('learning_rate'), numeric: true },
  { id: 'epochs', label: 'epochs', value: param('epochs'), numeric: true },
  { id: 'val_accuracy', label: 'val_accuracy', value: metric('val_accuracy'), numeric: true },
  { id: 'loss', label: 'loss', value: metric('loss'), numeric: true },
  { id: 'start', label: 'Started', value: (r) => r.info.startTime, numeric: true },
];

export class RunsTable {
  runs: RunRecord[] = [];
  readonly compare = new Set<string>();
  selected: string | undefined;
  private filter = '';
  private sort: { column: string; direction: 1 | -1 } = { column: 'start', direction: -1 };
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly tracker: Tracker,
    private readonly table: HTMLTableElement,
    private readonly errorBox: HTMLElement,
    private readonly handlers: { open(runId: string): void; compareChanged(): void },
  ) {
    this.renderHead();
  }

  /** Searches again with the current filter; returns false (and shows the error) when the filter is refused. */
  async setFilter(filter: string): Promise<boolean> {
    const previous = this.filter;
    this.filter = filter.trim();
    try {
      await this.search();
      return true;
    } catch (error) {
      this.filter = previous;
      this.errorBox.textContent = errorText(error);
      return false;
    }
  }

  /** Re-reads the runs (coalescing calls made while one is under way). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.search().catch((error: unknown) => (this.errorBox.textContent = errorText(error)));
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async search(): Promise<void> {
    this.runs = await this.tracker.searchRuns(this.filter ? { filter: this.filter } : {});
    this.errorBox.textContent = '';
    this.render();
  }

  select(runId: string | undefined): void {
    this.selected = runId;
    for (const row of this.table.tBodies[0]!.rows)
      row.setAttribute('aria-selected', String(row.dataset.runId === runId));
  }

  private renderHead(): void {
    const row = this.table.tHead!.rows[0]!;
    row.replaceChildren(
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Compare')),
      ...COLUMNS.map((c) => {
        const active = this.sort.column === c.id;
        return h(
          'th',
          {
            scope: 'col',
            'aria-sort': active ? (this.sort.direction === 1 ? 'ascending' : 'descending') : 'none',
            'data-column': c.id,
          },
          h(
            'button',
            { type: 'button', class: 'sort', onclick: () => this.sortBy(c.id) },
            c.label,
            h('span', { 'aria-hidden': 'true' }, active ? (this.sort.direction === 1 ? ' ▲' : ' ▼') : ''),
          ),
        );
      }),
    );
  }

  private sortBy(column: string): void {
    this.sort =
      this.sort.column === column
        ? { column, direction: this.sort.direction === 1 ? -1 : 1 }
        : { column, direction: COLUMNS.find((c) => c.id === column)?.numeric ? -1 : 1 };
    this.renderHead();
    this.render();
    (this.table.querySelector(`th[data-column="${column}"] button`) as HTMLButtonElement | null)?.focus();
  }

  private compareRuns(a: RunRecord, b: RunRecord): number {
    const column = COLUMNS.find((c) => c.id === this.sort.column)!;
    const x = column.value(a);
    const y = column.value(b);
    // Runs lacking the value go last, whatever the direction (as MLflow orders them).
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return order * this.sort.direction;
  }

  private render(): void {
    const ids = new Set(this.runs.map((r) => r.info.runId));
    const children = new Map<string, RunRecord[]>();
    const top: RunRecord[] = [];
    for (const run of this.runs) {
      const parent = run.data.tags['mlflow.parentRunId'];
      if (parent !== undefined && ids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), run]);
      else top.push(run);
    }
    const sorted = (list: RunRecord[]) => [...list].sort((a, b) => this.compareRuns(a, b));
    const rows: HTMLTableRowElement[] = [];
    const add = (run: RunRecord, depth: number) => {
      rows.push(this.row(run, depth, children.get(run.info.runId)?.length ?? 0));
      for (const child of sorted(children.get(run.info.runId) ?? [])) add(child, depth + 1);
    };
    for (const run of sorted(top)) add(run, 0);
    if (rows.length === 0) {
      rows.push(
        h(
          'tr',
          { class: 'empty' },
          h(
            'td',
            { colspan: COLUMNS.length + 1 },
            this.filter ? 'No run matches this filter.' : 'No runs yet: train one above.',
          ),
        ),
      );
    }
    this.table.tBodies[0]!.replaceChildren(...rows);
    this.table.dataset.count = String(this.runs.length);
  }

  private row(run: RunRecord, depth: number, childCount: number): HTMLTableRowElement {
    const id = run.info.runId;
    const open = () => this.handlers.open(id);
    const tick = h('input', {
      type: 'checkbox',
      'aria-label': `Compare ${run.info.runName}`,
      onchange: (event: Event) => {
        if ((event.target as HTMLInputElement).checked) this.compare.add(id);
        else this.compare.delete(id);
        this.handlers.compareChanged();
      },
    });
    tick.checked = this.compare.has(id);
    const cells = COLUMNS.map((c) => {
      const v = c.value(run);
      if (c.id === 'name') {
        return h(
          'td',
          { class: 'name', style: `padding-left: ${0.5 + depth * 1.25}rem` },
          depth > 0 ? h('span', { 'aria-hidden': 'true' }, '↳ ') : null,
          String(v ?? ''),
          childCount > 0
            ? h('span', { class: 'hint' }, ` (${childCount} child run${childCount === 1 ? '' : 's'})`)
            : null,
          depth > 0 ? h('span', { class: 'visually-hidden' }, ' (child run)') : null,
        );
      }
      if (c.id === 'start') return h('td', {}, formatTime(run.info.startTime));
      if (c.id === 'status')
        return h('td', {}, h('span', { class: `status status-${String(v).toLowerCase()}` }, String(v)));
      return h('td', { class: c.numeric ? 'num' : '' }, typeof v === 'number' ? formatNumber(v) : (v ?? ''));
    });
    const row = h(
      'tr',
      {
        tabindex: 0,
        'data-run-id': id,
        'data-depth': depth,
        'data-parent-run-id': run.data.tags['mlflow.parentRunId'],
        'aria-selected': String(this.selected === id),
        class: depth > 0 ? 'child' : '',
        onclick: (event: MouseEvent) => {
          if (!(event.target as Element).closest('input, button')) open();
        },
        onkeydown: (event: KeyboardEvent) => {
          if (event.target === event.currentTarget && (event.key === 'Enter' || event.key === ' ')) {
            event.preventDefault();
            open();
          }
        },
      },
      h('td', { class: 'tick' }, tick),
      ...cells,
    );
    return row;
  }
}
