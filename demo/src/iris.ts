import { FEATURES, type Dataset } from './types.js';

/** Parses demo/data/iris.csv (a header, four numbers and a species per row). */
export function parseIris(text: string): Dataset {
  const lines = text.trim().split(/\r?\n/);
  const header = lines.shift()?.split(',') ?? [];
  if (FEATURES.some((f, i) => header[i] !== f)) throw new Error(`iris.csv: unexpected header ${header.join(',')}`);
  const classes: string[] = [];
  const x = new Float64Array(lines.length * FEATURES.length);
  const y = new Int32Array(lines.length);
  lines.forEach((line, row) => {
    const cells = line.split(',');
    FEATURES.forEach((_, j) => (x[row * FEATURES.length + j] = Number(cells[j])));
    const species = cells[FEATURES.length] ?? '';
    if (!classes.includes(species)) classes.push(species);
    y[row] = classes.indexOf(species);
  });
  return { x, y, classes, rows: lines.length };
}

// In a variable, so the bundler leaves the file to be fetched at run time (demo/build/ → demo/data/).
const IRIS_CSV = '../data/iris.csv';

export async function loadIris(): Promise<Dataset> {
  const response = await fetch(new URL(IRIS_CSV, import.meta.url));
  if (!response.ok) throw new Error(`iris.csv: HTTP ${response.status}`);
  return parseIris(await response.text());
}

/** The first rows as records, e.g. for an input example. */
export function records(data: Dataset, count: number, start = 0): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (let r = start; r < Math.min(data.rows, start + count); r++) {
    out.push(Object.fromEntries(FEATURES.map((f, j) => [f, data.x[r * FEATURES.length + j]!])));
  }
  return out;
}
