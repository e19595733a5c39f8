/**
 * Metric histories drawn with uPlot: one line per run, steps on x. The
 * container exposes what it draws (data-points, data-series, data-metric)
 * for tests and assistive text, since uPlot paints to a canvas.
 */
import uPlot from 'uplot';

export interface Series {
  runId: string;
  label: string;
  steps: number[];
  values: number[];
}

const COLORS = ['#0194e2', '#e8710a', '#2e7d32', '#c2185b', '#6a1b9a', '#00838f', '#5d4037', '#9e9d24'];

export class MetricChart {
  private plot: uPlot | undefined;
  private series: Series[] = [];
  private metric = '';
  private frame = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly caption: HTMLElement,
  ) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  /** Replaces what is drawn. */
  show(metric: string, series: Series[]): void {
    this.metric = metric;
    this.series = series.map((s) => ({ ...s, steps: [...s.steps], values: [...s.values] }));
    this.plot?.destroy();
    this.plot = undefined;
    this.render();
  }

  /** Adds a point to a run's line (a run training now), redrawing at most once a frame. */
  append(runId: string, step: number, value: number): void {
    const s = this.series.find((x) => x.runId === runId);
    if (s === undefined) return;
    s.steps.push(step);
    s.values.push(value);
    if (this.frame === 0) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.render()));
  }

  has(runId: string): boolean {
    return this.series.some((s) => s.runId === runId);
  }

  get currentMetric(): string {
    return this.metric;
  }

  private size(): { width: number; height: number } {
    return {
      width: Math.max(200, this.container.clientWidth),
      height: Math.min(300, Math.max(180, Math.round(this.container.clientWidth * 0.5))),
    };
  }

  private render(): void {
    const points = this.series.reduce((n, s) => n + s.values.length, 0);
    Object.assign(this.container.dataset, {
      points: String(points),
      series: String(this.series.length),
      metric: this.metric,
    });
    if (this.series.length === 0) {
      this.plot?.destroy();
      this.plot = undefined;
      this.caption.textContent = 'No run to show: train one, or tick runs in the table.';
      return;
    }
    // uPlot takes aligned columns: the union of steps, and each run's value or null there.
    const steps = [...new Set(this.series.flatMap((s) => s.steps))].sort((a, b) => a - b);
    const index = new Map(steps.map((x, i) => [x, i]));
    const columns = this.series.map((s) => {
      const column: (number | null)[] = new Array<number | null>(steps.length).fill(null);
      s.steps.forEach((x, i) => (column[index.get(x)!] = Number.isFinite(s.values[i]) ? s.values[i]! : null));
      return column;
    });
    const data = [steps, ...columns] as uPlot.AlignedData;
    if (this.plot === undefined) {
      this.plot = new uPlot(
        {
          ...this.size(),
          scales: { x: { time: false } },
          axes: [{ label: 'epoch (step)' }, { label: this.metric, size: 60 }],
          series: [
            { label: 'step' },
            ...this.series.map((s, i) => ({
              label: s.label,
              stroke: COLORS[i % COLORS.length]!,
              width: 2,
              spanGaps: true,
              points: { show: false },
            })),
          ],
          cursor: { drag: { x: true, y: false } },
        },
        data,
        this.container,
      );
    } else {
      this.plot.setData(data);
    }
    const last = this.series.map(
      (s) => `${s.label} ${s.values.length ? formatValue(s.values[s.values.length - 1]!) : '–'}`,
    );
    this.caption.textContent = `${this.metric} by epoch, ${this.series.length} run${this.series.length === 1 ? '' : 's'}, ${points} points. Latest: ${last.join('; ')}.`;
  }
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}
