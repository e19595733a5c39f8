import { inflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src/client/run.js';
import type { Tracker } from '../../../src/client/tracker.js';
import { toPixels } from '../../../src/client/artifacts/image.js';
import { openedPerTest } from '../in-process.js';
import { rejection } from '../typed-errors.js';

// Produced by MLflow 3.17.2: see make_fixtures.py next to it.
const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/log-helpers/log-helpers.json', import.meta.url), 'utf8'),
) as {
  dicts: { input: unknown; file: string; expected: string }[];
  texts: { input: string; file: string; expected: string }[];
  tables: { file: string; calls: unknown[]; expected: string }[];
  loggedArtifacts: string;
  pixels: {
    dtype: 'float32' | 'float64' | 'int32';
    shape: number[];
    values: number[];
    mode: string;
    pixels: number[];
  }[];
};

const tracker = openedPerTest();

async function started(): Promise<{ t: Tracker; run: Run }> {
  const { tracker: t } = await tracker();
  return { t, run: await t.startRun() };
}

const text = async (t: Tracker, run: Run, path: string) => (await t.readArtifact(run.runId, path)).text();
const bytes = async (t: Tracker, run: Run, path: string) =>
  new Uint8Array(await (await t.readArtifact(run.runId, path)).arrayBuffer());

/** All files of a run, recursively. */
async function files(t: Tracker, run: Run, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const f of await t.listArtifacts(run.runId, dir)) {
    if (f.isDir) out.push(...(await files(t, run, f.path)));
    else out.push(f.path);
  }
  return out.sort();
}

/** Reads back a PNG this library wrote (filter type 0 on every row). */
function decodePng(png: Uint8Array): { width: number; height: number; colourType: number; data: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      colourType = body[9]!;
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const channels = { 0: 1, 2: 3, 6: 4 }[colourType]!;
  const stride = width * channels;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colourType, data };
}

describe('logDict and logText write what MLflow writes', () => {
  it('refuses a dict with a circular reference with a typed error, storing nothing (it was a bare RangeError)', async () => {
    const { t, run } = await started();
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    const e = await rejection(run.logDict(loop, 'loop.json'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/circular reference/);
    expect(await files(t, run)).toEqual([]);
    await run.logDict({ a: 1 }, 'fine.json');
    expect(await files(t, run)).toEqual(['fine.json']);
  });

  it('matches mlflow.log_dict byte for byte (JSON with indent 2, YAML by extension)', async () => {
    const { t, run } = await started();
    for (const c of fixtures.dicts) await run.logDict(c.input, c.file);
    for (const c of fixtures.dicts) expect(await text(t, run, c.file), c.file).toBe(c.expected);
  });

  it('matches mlflow.log_text byte for byte', async () => {
    const { t, run } = await started();
    for (const c of fixtures.texts) await run.logText(c.input, c.file);
    for (const c of fixtures.texts) expect(await text(t, run, c.file)).toBe(c.expected);
  });
});

describe('logTable', () => {
  it("matches mlflow.log_table's JSON byte for byte, appending on repeated calls as MLflow does", async () => {
    const { t, run } = await started();
    for (const c of fixtures.tables) for (const data of c.calls) await run.logTable(data as never, c.file);
    for (const c of fixtures.tables) expect(await text(t, run, c.file), c.file).toBe(c.expected);
    expect((await t.getRun(run.runId)).data.tags['mlflow.loggedArtifacts']).toBe(fixtures.loggedArtifacts);
  });

  it('appends calls made without waiting in call order', async () => {
    const { t, run } = await started();
    await Promise.all([1, 2, 3].map((i) => run.logTable({ i: [i] }, 'seq.json')));
    expect(await text(t, run, 'seq.json')).toBe('{"columns":["i"],"data":[[1],[2],[3]]}');
    expect((await t.getRun(run.runId)).data.tags['mlflow.loggedArtifacts']).toBe(
      '[{"path": "seq.json", "type": "table"}]',
    );
  });

  it('refuses columns of different lengths, and other bad tables, storing nothing', async () => {
    const { t, run } = await started();
    await run.logTable({ a: [1] }, 't.json');
    const before = await text(t, run, 't.json');
    const e = await rejection(run.logTable({ a: [1, 2], b: [1] }, 't.json'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/same length.*a: 2, b: 1/);
    for (const [data, file] of [
      [{ a: [1] }, 'u.parquet'],
      [{ a: [1] }, 'x:y.json'],
      ['rows', 'u.json'],
      [[1, 2], 'u.json'],
    ] as const) {
      expect((await rejection(run.logTable(data as never, file))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await text(t, run, 't.json')).toBe(before);
    expect(await files(t, run)).toEqual(['t.json']);
  });
});

describe('logImage', () => {
  it("writes MLflow's images/ layout per step: PNG, +compressed.webp thumbnail and the loggedImages tag", async () => {
    const { t, run } = await started();
    const data = new Uint8Array(4 * 6 * 3).map((_, i) => i * 3);
    await run.logImage({ data, width: 6, height: 4 }, { key: 'samples/train', step: 0, timestamp: 1700000000000 });
    await run.logImage({ data, shape: [4, 6, 3] }, { key: 'samples/train', step: 1, timestamp: 1700000000001 });
    const names = await files(t, run);
    expect(names).toHaveLength(4);
    const pattern =
      /^images\/samples~train\+step\+(\d+)\+timestamp\+(\d+)\+[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\+compressed\.webp|\.png)$/;
    for (const name of names) expect(name).toMatch(pattern);
    const pngs = names.filter((n) => n.endsWith('.png'));
    expect(pngs.map((n) => n.match(pattern)![1])).toEqual(['0', '1']);
    for (const png of pngs) {
      expect(names).toContain(png.replace(/\.png$/, '+compressed.webp'));
      const decoded = decodePng(await bytes(t, run, png));
      expect(decoded).toMatchObject({ width: 6, height: 4, colourType: 2 });
      expect(decoded.data).toEqual(data);
      const webp = await bytes(t, run, png.replace(/\.png$/, '+compressed.webp'));
      expect(String.fromCharCode(...webp.subarray(0, 4), ...webp.subarray(8, 16))).toBe('RIFFWEBPVP8L');
      // compress_image_size: the longer side becomes 256, the other keeps the ratio (4 * 256 / 6 = 170.67 → 170).
      const bits = new DataView(webp.buffer, webp.byteOffset).getUint32(21, true);
      expect([(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1]).toEqual([256, 170]);
    }
    expect((await t.getRun(run.runId)).data.tags['mlflow.loggedImages']).toBe('True');
  });

  it("converts pixels as MLflow's numpy conversion does: grey H×W and H×W×1, floats × 255 truncated, RGBA", async () => {
    const { t, run } = await started();
    await run.logImage({ data: new Uint8Array([0, 64, 128, 255]), width: 2, height: 2 }, 'grey.png');
    await run.logImage({ data: new Uint8Array([0, 64, 128, 255]), shape: [2, 2, 1] }, 'grey1.png');
    await run.logImage({ data: new Float32Array([0, 0.5, 0.999, 1]), shape: [2, 2] }, 'float.png');
    await run.logImage({ data: new Float64Array([-1, 0, 1, 3]), shape: [2, 2] }, 'rescaled.png');
    const rgba = new Uint8ClampedArray([255, 0, 0, 128, 0, 255, 0, 255]);
    await run.logImage({ data: rgba, width: 2, height: 1 }, 'rgba.png');
    for (const f of ['grey.png', 'grey1.png']) {
      expect(decodePng(await bytes(t, run, f))).toMatchObject({
        colourType: 0,
        data: new Uint8Array([0, 64, 128, 255]),
      });
    }
    expect(decodePng(await bytes(t, run, 'float.png')).data).toEqual(new Uint8Array([0, 127, 254, 255]));
    expect(decodePng(await bytes(t, run, 'rescaled.png')).data).toEqual(new Uint8Array([0, 63, 127, 255]));
    expect(decodePng(await bytes(t, run, 'rgba.png'))).toMatchObject({ colourType: 6, data: new Uint8Array(rgba) });
  });

  it("turns numbers into pixels exactly as MLflow's convert_to_pil_image does (float32 rounding included)", () => {
    const arrays = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
    for (const c of fixtures.pixels) {
      const pixels = toPixels({ data: arrays[c.dtype].from(c.values), shape: c.shape });
      expect({ channels: pixels.channels, data: [...pixels.data] }, `${c.dtype} ${c.shape}`).toEqual({
        channels: c.shape[2] ?? 1,
        data: c.pixels,
      });
      expect(c.mode).toBe({ 1: 'L', 3: 'RGB', 4: 'RGBA' }[c.shape[2] ?? 1]);
    }
  });

  it('keeps a PNG Blob as it is', async () => {
    const { t, run } = await started();
    await run.logImage({ data: new Uint8Array([1, 2, 3, 4]), width: 2, height: 2 }, 'a.png');
    const png = await bytes(t, run, 'a.png');
    await run.logImage(new Blob([png], { type: 'image/png' }), 'b.png');
    expect(await bytes(t, run, 'b.png')).toEqual(png);
  });

  it('refuses unsupported images with a typed error, storing nothing', async () => {
    const { t, run } = await started();
    const gif = new Blob([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])], { type: 'image/gif' });
    const cases: [unknown, string | { key: string; step?: number }][] = [
      [gif, { key: 'k', step: 1 }],
      [gif, 'g.png'],
      [{ data: new Uint8Array(20), shape: [2, 2, 5] }, { key: 'k' }],
      [{ data: new Uint8Array(20), width: 2, height: 2 }, 'x.png'],
      [{ data: new Int16Array([0, 300, 0, 0]), shape: [2, 2] }, 'x.png'],
      [{ data: new Uint8Array(4), shape: [2, 2, 1, 1] }, 'x.png'],
      ['not an image', { key: 'k' }],
      [42, 'x.png'],
      [{ data: new Uint8Array(4), shape: [2, 2] }, { key: 'bad#key' }],
      [{ data: new Uint8Array(4), shape: [2, 2] }, 'x.gif'],
      [
        { data: new Uint8Array(4), shape: [2, 2] },
        { key: 'k', step: 1.5 },
      ],
    ];
    for (const [image, where] of cases) {
      const e = await rejection(run.logImage(image as never, where as never));
      expect(e.code, JSON.stringify(where)).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await rejection(run.logImage(gif, 'g.png'))).message).toMatch(
      /Unsupported image \(a Blob of type 'image\/gif'\)/,
    );
    expect(await files(t, run)).toEqual([]);
    expect((await t.getRun(run.runId)).data.tags['mlflow.loggedImages']).toBeUndefined();
  });
});

describe('run.end', () => {
  it('lets helper calls made before it land first, as Python returns only when they are done', async () => {
    const { t, run } = await started();
    const pixels = { data: new Uint8Array(12), shape: [2, 2, 3] };
    void run.logImage(pixels, { key: 'k', step: 0 });
    void run.logTable({ a: [1] }, 't.json');
    void run.logText('x', 'x.txt');
    await run.end();
    expect((await files(t, run)).filter((f) => !f.startsWith('images/'))).toEqual(['t.json', 'x.txt']);
    expect((await files(t, run)).filter((f) => f.startsWith('images/'))).toHaveLength(2);
    const stored = await t.getRun(run.runId);
    expect(stored.info.status).toBe('FINISHED');
    expect(stored.data.tags).toMatchObject({
      'mlflow.loggedImages': 'True',
      'mlflow.loggedArtifacts': '[{"path": "t.json", "type": "table"}]',
    });
    expect((await rejection(run.logText('y', 'y.txt'))).code).toBe('INVALID_STATE');
  });
});

describe('logFigure', () => {
  it('stores SVG markup as .svg and refuses what it cannot store', async () => {
    const { t, run } = await started();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>';
    await run.logFigure(svg, 'plots/fig.svg');
    expect(await text(t, run, 'plots/fig.svg')).toBe(svg);
    for (const [figure, file] of [
      ['<div>no</div>', 'f.svg'],
      [svg, 'f.png'],
      [svg, 'f.pdf'],
    ] as const) {
      expect((await rejection(run.logFigure(figure, file))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await files(t, run)).toEqual(['plots/fig.svg']);
  });
});
