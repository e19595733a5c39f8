/** mlflow-edge/node's openTracker refuses a store it cannot use before it starts anything. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTracker } from '../../src/node.js';
import { rejection } from './typed-errors.js';

describe('mlflow-edge/node openTracker', () => {
  it('refuses store given as a string (it logged into ./mlflow-edge instead, silently), naming the form to use', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'node-entry-'));
    process.chdir(dir);
    try {
      const e = await rejection(openTracker({ store: './s15' } as never));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toContain('{ path: "./s15" }');
      expect(existsSync(join(dir, 'mlflow-edge'))).toBe(false);
      expect(existsSync(join(dir, 's15'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });
});
