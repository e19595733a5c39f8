/**
 * The predict panel: load a logged model (runs:/ of this browser, or any
 * URI the library takes, models:/ included), build a form from its
 * signature, predict, and show a signature error next to the field at fault.
 */
import { $, errorText, h } from './dom.js';
import { ORT_MODULE, type ColSpec, type Model, type Tracker } from './edge.js';
import type { Dataset } from './types.js';
import { MODELS_TAG, modelsOf } from './trainer.js';

const NUMERIC = new Set(['integer', 'long', 'float', 'double']);
const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

export class PredictPanel {
  private model: Model | undefined;
  private readonly select = $<HTMLSelectElement>('#model-select');
  private readonly uri = $<HTMLInputElement>('#model-uri');
  private readonly loadError = $('#model-error');
  private readonly info = $('#model-info');
  private readonly form = $<HTMLFormElement>('#predict-form');
  private readonly fields = $('#predict-fields');
  private readonly error = $('#predict-error');
  private readonly output = $<HTMLOutputElement>('#predict-output');

  constructor(
    private readonly tracker: Tracker,
    private readonly data: Dataset,
  ) {
    $<HTMLFormElement>('#model-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load(this.uri.value.trim() || this.select.value);
    });
    this.select.addEventListener('change', () => (this.uri.value = ''));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.predict();
    });
    $('#example-button').addEventListener('click', () => this.fillRandom());
  }

  /** Lists the models logged by local runs. */
  async refreshModels(): Promise<void> {
    const runs = (await this.tracker.searchRuns({})).filter((r) => r.data.tags[MODELS_TAG]);
    const current = this.select.value;
    const options = runs.flatMap((r) =>
      modelsOf(r.info.runId, r.data.tags[MODELS_TAG]).map(({ name, uri }) =>
        h('option', { value: uri }, `${r.info.runName} / ${name}`),
      ),
    );
    this.select.replaceChildren(...(options.length ? options : [h('option', { value: '' }, '(train a run first)')]));
    if (options.some((o) => o.value === current)) this.select.value = current;
  }

  /** Loads a model and builds its form. */
  async load(uri: string): Promise<void> {
    this.loadError.textContent = '';
    this.error.textContent = '';
    this.output.replaceChildren();
    if (!uri) {
      this.loadError.textContent = 'Choose a logged model or type a model URI.';
      return;
    }
    this.info.replaceChildren(h('p', { class: 'hint' }, `Loading ${uri}…`));
    await this.model?.close().catch(() => undefined);
    this.model = undefined;
    this.form.hidden = true;
    try {
      // allowCode: the JavaScript models listed here were written by this page.
      this.model = await this.tracker.loadModel(uri, { allowCode: true, onnxruntime: { module: ORT_MODULE } });
    } catch (error) {
      this.info.replaceChildren();
      this.loadError.textContent = errorText(error);
      return;
    }
    const { metadata } = this.model;
    const inputs = metadata.signature?.inputs;
    this.info.replaceChildren(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Model'),
        h('dd', {}, h('code', { id: 'loaded-model-uri' }, uri)),
        h('dt', {}, 'Flavor'),
        h('dd', { id: 'loaded-model-flavor' }, metadata.flavor),
        h('dt', {}, 'Loaded from'),
        h(
          'dd',
          { id: 'loaded-model-from' },
          metadata.loadedFrom === 'cache'
            ? 'the local cache of server models'
            : metadata.loadedFrom === 'local'
              ? 'this browser'
              : `the ${metadata.loadedFrom}`,
        ),
        h('dt', {}, 'Signature inputs'),
        h(
          'dd',
          {},
          inputs
            ? inputs.kind === 'columns'
              ? inputs.columns.map((c) => `${c.name ?? '(unnamed)'}: ${typeString(c)}`).join(', ')
              : inputs.tensors.map((t) => `${t.name ?? '(unnamed)'}: ${t.type}[${t.shape.join(', ')}]`).join(', ')
            : 'none',
        ),
      ),
    );
    this.fields.replaceChildren(...this.buildFields());
    this.form.hidden = false;
    this.fillRandom();
    this.form.dataset.ready = 'true';
  }

  /** Selects (or types) a model URI and loads it. */
  async choose(uri: string): Promise<void> {
    await this.refreshModels();
    if ([...this.select.options].some((o) => o.value === uri)) {
      this.select.value = uri;
      this.uri.value = '';
    } else this.uri.value = uri;
    await this.load(uri);
    $('#predict-title').scrollIntoView({ block: 'start' });
    (this.fields.querySelector('input, textarea') as HTMLElement | null)?.focus();
  }

  private columns(): ColSpec[] | undefined {
    const inputs = this.model?.metadata.signature?.inputs;
    return inputs?.kind === 'columns' ? inputs.columns : undefined;
  }

  private buildFields(): HTMLElement[] {
    const columns = this.columns();
    if (columns === undefined) {
      // Tensor signatures or none: the input as JSON, the way model.predict takes it.
      return [
        field(
          'input',
          'Input (JSON)',
          h(
            'textarea',
            { name: 'input', id: 'field-input', rows: 4, 'aria-describedby': 'error-input', spellcheck: 'false' },
            '[[5.1, 3.5, 1.4, 0.2]]',
          ),
        ),
      ];
    }
    return columns.map((c, i) => {
      const name = c.name ?? String(i);
      const type = typeString(c);
      const control =
        c.type === 'boolean'
          ? h('input', { type: 'checkbox', name, id: `field-${name}`, 'aria-describedby': `error-${name}` })
          : h('input', {
              name,
              id: `field-${name}`,
              inputmode: NUMERIC.has(String(c.type)) ? 'decimal' : undefined,
              autocomplete: 'off',
              required: c.required,
              'aria-describedby': `error-${name}`,
            });
      return field(name, `${name} (${type}${c.required ? '' : ', optional'})`, control);
    });
  }

  private fillRandom(): void {
    const row = Math.floor(Math.random() * this.data.rows);
    const features = this.data.x.length / this.data.rows;
    const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    names.slice(0, features).forEach((name, j) => {
      const input = this.fields.querySelector<HTMLInputElement>(`input[name="${name}"]`);
      if (input) input.value = String(this.data.x[row * features + j]);
    });
    this.clearErrors();
    this.error.textContent = '';
    const hint =
      this.fields.querySelector('.example-hint') ?? this.fields.appendChild(h('p', { class: 'hint example-hint' }));
    hint.textContent = this.columns()?.some((c) => c.name === 'sepal_length')
      ? `Row ${row + 1} of iris.csv, a ${this.data.classes[this.data.y[row]!]}.`
      : '';
  }

  private clearErrors(): void {
    for (const box of this.fields.querySelectorAll('.field-error')) box.textContent = '';
    for (const el of this.fields.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  private input(): unknown {
    const columns = this.columns();
    if (columns === undefined) {
      const text = this.fields.querySelector<HTMLTextAreaElement>('textarea')?.value ?? '';
      return JSON.parse(text) as unknown;
    }
    const record: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      const name = c.name ?? String(i);
      const el = this.fields.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
      if (c.type === 'boolean') record[name] = el.checked;
      else if (el.value.trim() === '') {
        if (c.required) record[name] = null;
      } else if (NUMERIC.has(String(c.type)) && (NUMBER.test(el.value) || /^\s*[-+]?(NaN|Infinity)\s*$/.test(el.value)))
        record[name] = Number(el.value);
      // Anything else goes to the model as typed: the signature check decides, and says which field.
      else record[name] = el.value;
    });
    return [record];
  }

  async predict(): Promise<void> {
    this.clearErrors();
    this.error.textContent = '';
    this.output.replaceChildren();
    if (this.model === undefined) return;
    let input: unknown;
    try {
      input = this.input();
    } catch (error) {
      this.showError({
        code: 'INVALID_PARAMETER_VALUE',
        message: `The input is not JSON: ${(error as Error).message}`,
        details: { field: 'input' },
      });
      return;
    }
    try {
      const { outputs, warnings } = await this.model.predict(input);
      this.output.replaceChildren(
        ...render(outputs, this.model.metadata.metadata?.classes),
        ...warnings.map((w) => h('p', { class: 'hint' }, w)),
      );
      this.output.dataset.count = String(Number(this.output.dataset.count ?? 0) + 1);
    } catch (error) {
      this.showError(error);
    }
  }

  private showError(error: unknown): void {
    const field = (error as { details?: { field?: unknown } })?.details?.field;
    const box =
      typeof field === 'string' ? this.fields.querySelector<HTMLElement>(`#error-${CSS.escape(field)}`) : null;
    if (box) {
      box.textContent = errorText(error);
      this.fields.querySelector(`#field-${CSS.escape(String(field))}`)?.setAttribute('aria-invalid', 'true');
      (this.fields.querySelector(`#field-${CSS.escape(String(field))}`) as HTMLElement | null)?.focus();
    } else {
      this.error.textContent = errorText(error);
    }
  }
}

function typeString(c: ColSpec): string {
  return typeof c.type === 'string' ? c.type : c.type.type;
}

function field(name: string, label: string, control: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    h('span', { class: 'field-error error', id: `error-${name}`, role: 'alert' }),
  );
}

/** Outputs as a table: ONNX tensors by name, or a code model's records. */
function render(outputs: unknown, classes: unknown): HTMLElement[] {
  const names = Array.isArray(classes) ? (classes as string[]) : undefined;
  const rows: [string, string][] = [];
  let summary: string | undefined;
  if (Array.isArray(outputs)) {
    const first = outputs[0] as Record<string, unknown> | undefined;
    if (first && typeof first === 'object') {
      for (const [k, v] of Object.entries(first)) rows.push([k, show(v)]);
      if (typeof first.species === 'string') summary = first.species;
    } else rows.push(['prediction', show(outputs)]);
  } else if (outputs && typeof outputs === 'object') {
    for (const [k, v] of Object.entries(outputs as Record<string, { data?: ArrayLike<unknown> }>)) {
      const data = v?.data ? Array.from(v.data as ArrayLike<unknown>) : v;
      rows.push([k, show(data)]);
      if (k === 'label' && Array.isArray(data) && names) summary = names[Number(data[0])];
    }
  } else rows.push(['prediction', show(outputs)]);
  const out: HTMLElement[] = [];
  if (summary)
    out.push(h('p', { class: 'prediction' }, 'Predicted species: ', h('strong', { id: 'predicted-species' }, summary)));
  out.push(
    h(
      'table',
      { class: 'kv' },
      h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
    ),
  );
  return out;
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint' ? Number(v) : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(4)) : v,
  );
}
