import { expect, test } from './fixtures.js';

test.describe('log helpers in Chromium', () => {
  test('logImage from a canvas, an OffscreenCanvas and ImageData writes PNGs and WebP thumbnails the browser decodes', async ({
    page,
  }) => {
    const result = await page.evaluate(async () => {
      const tracker = await edge.openTracker({ dbName: 'log-images' });
      const run = await tracker.startRun();
      // Four opaque quadrants: exact through any lossless codec, near-exact through a lossy one.
      const paint = (ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, w: number, h: number) => {
        const colours = ['#ff0000', '#00ff00', '#0000ff', '#ffffff'];
        colours.forEach((c, i) => {
          ctx.fillStyle = c;
          ctx.fillRect((i % 2) * (w / 2), Math.floor(i / 2) * (h / 2), w / 2, h / 2);
        });
      };
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 32;
      paint(canvas.getContext('2d')!, 64, 32);
      const offscreen = new OffscreenCanvas(40, 80);
      paint(offscreen.getContext('2d')!, 40, 80);
      const imageData = canvas.getContext('2d')!.getImageData(0, 0, 64, 32);
      await run.logImage(canvas, { key: 'canvas', step: 0 });
      await run.logImage(offscreen, { key: 'canvas', step: 1 });
      await run.logImage(imageData, { key: 'image data', step: 2 });
      await run.logImage(canvas, 'plain/canvas.jpg');
      await run.logFigure(canvas, 'plots/chart.png');
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('width', '10');
      svg.setAttribute('height', '10');
      svg.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'circle')).setAttribute('r', '4');
      await run.logFigure(svg, 'plots/chart.svg');

      const pixelsOf = async (path: string) => {
        const bitmap = await createImageBitmap(await tracker.readArtifact(run.runId, path));
        const c = new OffscreenCanvas(bitmap.width, bitmap.height);
        c.getContext('2d')!.drawImage(bitmap, 0, 0);
        const d = c.getContext('2d')!.getImageData(0, 0, bitmap.width, bitmap.height);
        // The centre of each quadrant.
        const at = (x: number, y: number) => Array.from(d.data.slice((y * d.width + x) * 4, (y * d.width + x) * 4 + 4));
        const q = [0, 1, 2, 3].map((i) =>
          at(Math.floor(((i % 2) + 0.5) * (d.width / 2)), Math.floor((Math.floor(i / 2) + 0.5) * (d.height / 2))),
        );
        return { width: d.width, height: d.height, quadrants: q };
      };
      const images = (await tracker.listArtifacts(run.runId, 'images')).map((f) => f.path).sort();
      const decoded: Record<string, Awaited<ReturnType<typeof pixelsOf>>> = {};
      for (const p of [...images, 'plain/canvas.jpg', 'plots/chart.png']) decoded[p] = await pixelsOf(p);
      const head = async (p: string) =>
        Array.from(new Uint8Array(await (await tracker.readArtifact(run.runId, p)).arrayBuffer()).slice(0, 4));
      return {
        images,
        decoded,
        heads: { jpg: await head('plain/canvas.jpg'), png: await head('plots/chart.png') },
        svg: await (await tracker.readArtifact(run.runId, 'plots/chart.svg')).text(),
        tags: (await tracker.getRun(run.runId)).data.tags,
      };
    });
    const pattern =
      /^images\/(canvas|image data)\+step\+(\d)\+timestamp\+\d+\+[0-9a-f-]{36}(\.png|\+compressed\.webp)$/;
    expect(result.images).toHaveLength(6);
    for (const p of result.images) expect(p).toMatch(pattern);
    const quadrants = [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [255, 255, 255, 255],
    ];
    const size = { canvas0: [64, 32], canvas1: [40, 80], 'image data2': [64, 32] } as Record<string, number[]>;
    const thumb = { canvas0: [256, 128], canvas1: [128, 256], 'image data2': [256, 128] } as Record<string, number[]>;
    for (const p of result.images) {
      const [, key, step, kind] = p.match(pattern)!;
      const d = result.decoded[p]!;
      expect([d.width, d.height], p).toEqual((kind === '.png' ? size : thumb)[`${key}${step}`]);
      if (kind === '.png') expect(d.quadrants, p).toEqual(quadrants);
      else
        for (const [i, q] of d.quadrants.entries())
          for (const [k, v] of q.entries()) expect(Math.abs(v - quadrants[i]![k]!), p).toBeLessThanOrEqual(8);
    }
    expect(result.heads.jpg.slice(0, 3)).toEqual([0xff, 0xd8, 0xff]);
    expect(result.heads.png).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(result.decoded['plots/chart.png']!.quadrants).toEqual(quadrants);
    expect(result.svg).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="10" height="10"><circle r="4"\/><\/svg>$/,
    );
    expect(result.tags['mlflow.loggedImages']).toBe('True');
  });

  test('an unsupported image is a typed error and stores nothing', async ({ page }) => {
    const out = await page.evaluate(async () => {
      const tracker = await edge.openTracker({ dbName: 'log-images-bad' });
      const run = await tracker.startRun();
      const gif = new Blob([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])], { type: 'image/gif' });
      const errors = await errorsOf({
        gif: () => run.logImage(gif, { key: 'k', step: 0 }),
        channels: () => run.logImage({ data: new Uint8Array(20), shape: [2, 2, 5] }, { key: 'k' }),
        text: () => run.logImage('pixels' as never, 'x.png'),
        ragged: () => run.logTable({ a: [1, 2], b: [1] }, 't.json'),
      });
      return {
        errors,
        files: await tracker.listArtifacts(run.runId),
        tags: (await tracker.getRun(run.runId)).data.tags,
      };
    });
    for (const e of Object.values(out.errors))
      expect(e).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', typed: true });
    expect(out.files).toEqual([]);
    expect(out.tags['mlflow.loggedImages']).toBeUndefined();
  });
});
