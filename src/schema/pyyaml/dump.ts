/**
 * Writing YAML byte-for-byte as PyYAML's `yaml.safe_dump(…,
 * default_flow_style=False)` does (SafeRepresenter, Serializer and Emitter,
 * block style, width 80): the `yaml` package's stringifier folds and quotes
 * differently, so this follows PyYAML's own rules.
 */
import { invalidParameter } from '../errors.js';
import { isPlainObject } from '../predicates.js';
import { compareCodePoints, numberKinds, pyFloatRepr, type NumberKind } from '../python.js';
import { type PyKey, orderedKeys, pyKeys } from './meta.js';
import { resolvePlain } from './load.js';

export interface ScalarNode {
  kind: 'scalar';
  tag: 'str' | 'int' | 'float' | 'bool' | 'null';
  value: string;
}
export interface SeqNode {
  kind: 'seq';
  items: YNode[];
}
export interface MapNode {
  kind: 'map';
  pairs: [ScalarNode, YNode][];
}
export type YNode = ScalarNode | SeqNode | MapNode;

/** PyYAML's represent_float: Python's `repr(float)`, `.nan`/`.inf`, and `.0` before a bare exponent (`1e-07` → `1.0e-07`). */
export function yamlFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  const text = pyFloatRepr(x);
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

export function numberScalar(value: number, kind: NumberKind | undefined): ScalarNode {
  const integral = Number.isInteger(value);
  if (integral && (kind === 'int' || (kind === undefined && Number.isSafeInteger(value)))) {
    return {
      kind: 'scalar',
      tag: 'int',
      value: Number.isSafeInteger(value) ? String(value) : BigInt(value).toString(),
    };
  }
  return { kind: 'scalar', tag: 'float', value: yamlFloat(value) };
}

export function keyScalar(key: string, meta: { key: PyKey; kind?: NumberKind } | undefined): ScalarNode {
  if (meta === undefined) return { kind: 'scalar', tag: 'str', value: key };
  if (meta.key === null) return { kind: 'scalar', tag: 'null', value: 'null' };
  if (typeof meta.key === 'boolean') return { kind: 'scalar', tag: 'bool', value: meta.key ? 'true' : 'false' };
  return numberScalar(meta.key, meta.kind);
}

/** Python's ordering for a dict's keys; throws TypeError('unorderable') where Python's sort would raise (mixed types). */
export function compareKeys(a: { key: string; py: PyKey | string }, b: { key: string; py: PyKey | string }): number {
  const pa = a.py;
  const pb = b.py;
  if (typeof pa === 'string' && typeof pb === 'string') return compareCodePoints(pa, pb);
  const na = typeof pa === 'boolean' ? Number(pa) : pa;
  const nb = typeof pb === 'boolean' ? Number(pb) : pb;
  if (typeof na === 'number' && typeof nb === 'number') return na - nb;
  throw new TypeError('unorderable');
}

export class Representer {
  private readonly seen = new Map<object, YNode>();
  constructor(private readonly sortKeys: boolean) {}

  represent(value: unknown, kind?: NumberKind, path = '(root)'): YNode {
    if (value === null || value === undefined) return { kind: 'scalar', tag: 'null', value: 'null' };
    if (typeof value === 'string') return { kind: 'scalar', tag: 'str', value };
    if (typeof value === 'boolean') return { kind: 'scalar', tag: 'bool', value: value ? 'true' : 'false' };
    if (typeof value === 'number') return numberScalar(value, kind);
    if (typeof value === 'bigint') return { kind: 'scalar', tag: 'int', value: value.toString() };
    if (typeof value === 'object') {
      const known = this.seen.get(value);
      if (known !== undefined) return known;
      if (Array.isArray(value)) {
        const node: SeqNode = { kind: 'seq', items: [] };
        this.seen.set(value, node);
        const kinds = numberKinds.get(value);
        value.forEach((item, index) => node.items.push(this.represent(item, kinds?.get(index), `${path}[${index}]`)));
        return node;
      }
      if (isPlainObject(value)) {
        const node: MapNode = { kind: 'map', pairs: [] };
        this.seen.set(value, node);
        const kinds = numberKinds.get(value);
        const keyMeta = pyKeys.get(value);
        let entries = orderedKeys(value)
          .filter((key) => value[key] !== undefined)
          .map((key) => ({ key, py: keyMeta?.get(key)?.key ?? key }));
        if (this.sortKeys) {
          try {
            entries = [...entries].sort(compareKeys);
          } catch {
            // Python's sorted() raises on mixed key types; PyYAML then keeps insertion order.
          }
        }
        for (const { key } of entries) {
          node.pairs.push([
            keyScalar(key, keyMeta?.get(key)),
            this.represent(value[key], kinds?.get(key), `${path}.${key}`),
          ]);
        }
        return node;
      }
    }
    throw invalidParameter(
      `Cannot write ${path} to YAML: ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value} values are not supported (use strings, numbers, booleans, null, arrays and plain objects).`,
    );
  }
}

export interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

export const BREAKS = '\n\x85\u2028\u2029';
export const WHITESPACE_OR_END = '\0 \t\r\n\x85\u2028\u2029';

export function isUnicodePrintable(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  return (
    (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c < 0x10ffff)) &&
    c !== 0xfeff
  );
}

export function analyzeScalar(chars: string[], allowUnicode: boolean): Analysis {
  if (chars.length === 0) {
    return { empty: true, multiline: false, allowFlowPlain: false, allowBlockPlain: true, allowSingleQuoted: true };
  }
  const text = chars.join('');
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE_OR_END.includes(chars[1] as string);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index] as string;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    if (!(ch === '\n' || (ch >= '\x20' && ch <= '\x7e'))) {
      if (isUnicodePrintable(ch)) {
        if (!allowUnicode) specialCharacters = true;
      } else {
        specialCharacters = true;
      }
    }
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = WHITESPACE_OR_END.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || WHITESPACE_OR_END.includes(chars[index + 2] as string);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted };
}

export const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

export interface NodeContext {
  root?: boolean;
  sequence?: boolean;
  mapping?: boolean;
  simpleKey?: boolean;
}

export class Emitter {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private indent: number | null = null;
  private readonly indents: (number | null)[] = [];
  private readonly bestIndent = 2;
  private readonly bestWidth = 80;
  private readonly anchors = new Map<YNode, string | null>();
  private readonly serialized = new Set<YNode>();
  private lastAnchorId = 0;

  constructor(private readonly allowUnicode: boolean) {}

  emitDocument(root: YNode): string {
    this.anchorNode(root);
    this.emitNode(root, { root: true });
    this.writeIndent();
    if (this.openEnded) {
      this.writeIndicator('...', true);
      this.writeIndent();
    }
    return this.out;
  }

  // Serializer.anchor_node: a collection met twice gets an anchor, numbered on its second visit.
  private anchorNode(node: YNode): void {
    if (this.anchors.has(node)) {
      if (this.anchors.get(node) === null) {
        this.lastAnchorId += 1;
        this.anchors.set(node, `id${String(this.lastAnchorId).padStart(3, '0')}`);
      }
      return;
    }
    this.anchors.set(node, null);
    if (node.kind === 'seq') node.items.forEach((item) => this.anchorNode(item));
    if (node.kind === 'map') {
      for (const [key, value] of node.pairs) {
        this.anchorNode(key);
        this.anchorNode(value);
      }
    }
  }

  private emitNode(node: YNode, ctx: NodeContext): void {
    const anchor = this.anchors.get(node) ?? null;
    if (this.serialized.has(node)) {
      this.writeIndicator(`*${anchor ?? ''}`, true);
      return;
    }
    this.serialized.add(node);
    if (anchor !== null) this.writeIndicator(`&${anchor}`, true);
    if (node.kind === 'scalar') {
      this.increaseIndent(true, false);
      this.processScalar(node, ctx);
      this.indent = this.indents.pop() ?? null;
    } else if (node.kind === 'seq') {
      if (node.items.length === 0) this.emitEmptyFlow('[', ']');
      else this.emitBlockSequence(node, ctx);
    } else if (node.pairs.length === 0) {
      this.emitEmptyFlow('{', '}');
    } else {
      this.emitBlockMapping(node);
    }
  }

  private emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true);
    this.increaseIndent(true, false);
    this.indent = this.indents.pop() ?? null;
    this.writeIndicator(close, false);
  }

  private emitBlockSequence(node: SeqNode, ctx: NodeContext): void {
    const indentless = Boolean(ctx.mapping) && !this.indention;
    this.increaseIndent(false, indentless);
    for (const item of node.items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item, { sequence: true });
    }
    this.indent = this.indents.pop() ?? null;
  }

  private emitBlockMapping(node: MapNode): void {
    this.increaseIndent(false, false);
    for (const [key, value] of node.pairs) {
      this.writeIndent();
      if (this.checkSimpleKey(key)) {
        this.emitNode(key, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitNode(key, { mapping: true });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(value, { mapping: true });
    }
    this.indent = this.indents.pop() ?? null;
  }

  /** Emitter.check_simple_key: the length counts the (implicit, unwritten) tag, e.g. `!!str`. */
  private checkSimpleKey(key: ScalarNode): boolean {
    const chars = Array.from(key.value);
    const analysis = analyzeScalar(chars, this.allowUnicode);
    return `!!${key.tag}`.length + chars.length < 128 && !analysis.empty && !analysis.multiline;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  private processScalar(node: ScalarNode, ctx: NodeContext): void {
    const chars = Array.from(node.value);
    const analysis = analyzeScalar(chars, this.allowUnicode);
    // implicit[0]: the text read back as a plain scalar resolves to the node's own tag.
    const implicitPlain = resolvePlain(node.value) === node.tag;
    const simpleKey = Boolean(ctx.simpleKey);
    const split = !simpleKey;
    if (implicitPlain && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) {
      this.writePlain(chars, split, Boolean(ctx.root));
    } else if (node.tag === 'str' && analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) {
      this.writeSingleQuoted(chars, split);
    } else {
      this.writeDoubleQuoted(chars, split);
    }
  }

  private write(data: string): void {
    this.out += data;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.column += data.length;
    this.openEnded = false;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
      this.column = indent;
    }
  }

  private writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.write(data);
  }

  private writeText(chars: string[], start: number, end: number): void {
    this.column += end - start;
    this.write(chars.slice(start, end).join(''));
  }

  private writePlain(chars: string[], split: boolean, root: boolean): void {
    if (root) this.openEnded = true;
    if (chars.length === 0) return;
    if (!this.whitespace) {
      this.column += 1;
      this.write(' ');
    }
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > this.bestWidth && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.writeText(chars, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.writeLineBreak();
          for (const br of chars.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.writeText(chars, start, end);
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end += 1;
    }
  }

  private writeSingleQuoted(chars: string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > this.bestWidth && split && start !== 0 && end !== chars.length) {
            this.writeIndent();
          } else {
            this.writeText(chars, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.writeLineBreak();
          for (const br of chars.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.writeText(chars, start, end);
          start = end;
        }
      }
      if (ch === "'") {
        this.column += 2;
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end += 1;
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(chars: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      if (
        ch === null ||
        '"\\\x85\u2028\u2029\uFEFF'.includes(ch) ||
        !((ch >= '\x20' && ch <= '\x7E') || (this.allowUnicode && isBmpPrintable(ch)))
      ) {
        if (start < end) {
          this.writeText(chars, start, end);
          start = end;
        }
        if (ch !== null) {
          const code = ch.codePointAt(0) as number;
          const escaped = ESCAPES[ch];
          const data =
            escaped !== undefined
              ? `\\${escaped}`
              : code <= 0xff
                ? `\\x${hex(code, 2)}`
                : code <= 0xffff
                  ? `\\u${hex(code, 4)}`
                  : `\\U${hex(code, 8)}`;
          this.column += data.length;
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < chars.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > this.bestWidth &&
        split
      ) {
        const data = `${chars.slice(start, end).join('')}\\`;
        if (start < end) start = end;
        this.column += data.length;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') {
          this.column += 1;
          this.write('\\');
        }
      }
      end += 1;
    }
    this.writeIndicator('"', false);
  }
}

export function isBmpPrintable(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  return (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd);
}

export const hex = (code: number, width: number) => code.toString(16).toUpperCase().padStart(width, '0');

/**
 * Writes `value` as PyYAML's `yaml.safe_dump(value, default_flow_style=False)`
 * does (`sortKeys` → `sort_keys`, `allowUnicode` → `allow_unicode`). Objects
 * that appear twice get anchors (`&id001` / `*id001`) like in PyYAML; keys
 * whose value is `undefined` are skipped.
 */
export function safeDumpYaml(value: unknown, options: { sortKeys?: boolean; allowUnicode?: boolean } = {}): string {
  const node = new Representer(options.sortKeys ?? true).represent(value);
  return new Emitter(options.allowUnicode ?? false).emitDocument(node);
}

/** Serializes as MLflow's `Model.to_yaml()` does for the same content. */
