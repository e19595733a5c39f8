/**
 * Reading YAML as PyYAML's `yaml.safe_load` does: the `yaml` package parses
 * (failsafe schema) and plain scalars are resolved with PyYAML's YAML 1.1
 * implicit resolvers and SafeConstructor rules.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { invalidParameter } from '../errors.js';
import { isPlainObject } from '../predicates.js';
import { numberKinds, setNumberKind, type NumberKind } from '../python.js';
import { type PyKey, copyKeyMeta, isIndexKey, keyOrders, orderedKeys, pyKeys, setKey } from './meta.js';

export type Tag = 'str' | 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml';

export const RESOLVERS: Record<Exclude<Tag, 'str'>, RegExp> = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  float:
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  merge: /^(?:<<)$/,
  null: /^(?:~|null|Null|NULL|)$/,
  timestamp:
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  value: /^(?:=)$/,
  yaml: /^(?:!|&|\*)$/,
};

// Registration order in PyYAML decides which tag wins for a first character.
export const RESOLVER_ORDER: [Exclude<Tag, 'str'>, string[]][] = [
  ['bool', [...'yYnNtTfFoO']],
  ['float', [...'-+0123456789.']],
  ['int', [...'-+0123456789']],
  ['merge', ['<']],
  ['null', ['~', 'n', 'N', '']],
  ['timestamp', [...'0123456789']],
  ['value', ['=']],
  ['yaml', [...'!&*']],
];

export const RESOLVERS_BY_FIRST = new Map<string, Exclude<Tag, 'str'>[]>();
for (const [tag, firsts] of RESOLVER_ORDER) {
  for (const first of firsts) {
    const list = RESOLVERS_BY_FIRST.get(first) ?? [];
    list.push(tag);
    RESOLVERS_BY_FIRST.set(first, list);
  }
}

/** The tag PyYAML gives a plain (unquoted) scalar with this text. */
export function resolvePlain(text: string): Tag {
  const first = text === '' ? '' : (text[0] as string);
  for (const tag of RESOLVERS_BY_FIRST.get(first) ?? []) {
    if (RESOLVERS[tag].test(text)) return tag;
  }
  return 'str';
}

// ---------------------------------------------------------------------------
// Reading (yaml parser + PyYAML's SafeConstructor semantics)
// ---------------------------------------------------------------------------

export interface Constructed {
  value: unknown;
  kind?: NumberKind;
  /** For map keys: the Python key when it was not a string. */
  pyKey?: PyKey;
}

export function constructInt(text: string): Constructed {
  let s = text.replace(/_/g, '');
  let sign = 1n;
  if (s.startsWith('-')) sign = -1n;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let big: bigint;
  if (s === '0') big = 0n;
  else if (s.startsWith('0b')) big = BigInt(`0b${s.slice(2)}`);
  else if (s.startsWith('0x')) big = BigInt(`0x${s.slice(2)}`);
  else if (s.startsWith('0')) big = BigInt(`0o${s.slice(1)}`);
  else if (s.includes(':')) {
    big = 0n;
    for (const part of s.split(':')) big = big * 60n + BigInt(part);
  } else big = BigInt(s);
  const value = Number(sign * big);
  return Number.isSafeInteger(value) ? { value } : { value, kind: 'int' };
}

export function constructFloat(text: string): Constructed {
  let s = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s.startsWith('-')) sign = -1;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let value: number;
  if (s === '.inf') value = sign * Infinity;
  else if (s === '.nan') value = NaN;
  else if (s.includes(':')) {
    value = 0;
    for (const part of s.split(':')) value = value * 60 + Number(part);
    value *= sign;
  } else value = sign * Number(s);
  return Number.isInteger(value) ? { value, kind: 'float' } : { value };
}

export function constructBool(text: string): Constructed {
  return { value: ['yes', 'true', 'on'].includes(text.toLowerCase()) };
}

export const TAG_PREFIX = 'tag:yaml.org,2002:';

export class Reader {
  private readonly memo = new Map<unknown, Constructed>();
  constructor(private readonly doc: ReturnType<typeof parseDocument>) {}

  fail(message: string): never {
    throw invalidParameter(message);
  }

  scalar(node: { value: unknown; type?: string; tag?: string; source?: string }): Constructed {
    const text = typeof node.source === 'string' ? node.source : String(node.value ?? '');
    const tag = node.tag;
    if (tag !== undefined && tag !== '!') {
      switch (tag) {
        case `${TAG_PREFIX}str`:
        case `${TAG_PREFIX}timestamp`:
        case `${TAG_PREFIX}binary`:
          return { value: text };
        case `${TAG_PREFIX}int`:
          if (!RESOLVERS.int.test(text)) this.fail(`'${text}' is not an int`);
          return constructInt(text);
        case `${TAG_PREFIX}float`:
          if (RESOLVERS.int.test(text)) return { value: constructInt(text).value, kind: 'float' };
          if (!RESOLVERS.float.test(text)) this.fail(`'${text}' is not a float`);
          return constructFloat(text);
        case `${TAG_PREFIX}bool`:
          if (!RESOLVERS.bool.test(text)) this.fail(`'${text}' is not a bool`);
          return constructBool(text);
        case `${TAG_PREFIX}null`:
          return { value: null };
        default:
          this.fail(`the tag ${tag} is not supported (only plain YAML values are)`);
      }
    }
    // PyYAML resolves a `!`-tagged scalar like a plain one, even when quoted.
    if (node.type !== 'PLAIN' && tag !== '!') return { value: text };
    switch (resolvePlain(text)) {
      case 'null':
        return { value: null };
      case 'bool':
        return constructBool(text);
      case 'int':
        return constructInt(text);
      case 'float':
        return constructFloat(text);
      default:
        // str, timestamp (kept as its text), merge/value/yaml (only meaningful as keys)
        return { value: text };
    }
  }

  node(node: unknown): Constructed {
    if (node === null || node === undefined) return { value: null };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) this.fail(`the alias *${node.source} has no anchor before it`);
      return this.memo.get(target) ?? this.node(target);
    }
    if (isScalar(node)) {
      const out = this.scalar(node as { value: unknown; type?: string; tag?: string; source?: string });
      this.memo.set(node, out);
      return out;
    }
    if (isSeq(node)) {
      if (node.tag !== undefined && node.tag !== `${TAG_PREFIX}seq`) {
        this.fail(`the tag ${node.tag} is not supported (only plain YAML lists are)`);
      }
      const list: unknown[] = [];
      this.memo.set(node, { value: list });
      node.items.forEach((item, index) => {
        const { value, kind } = this.node(item);
        list.push(value);
        if (kind !== undefined) setNumberKind(list, index, kind);
      });
      return { value: list };
    }
    if (isMap(node)) {
      if (node.tag !== undefined && node.tag !== `${TAG_PREFIX}map`) {
        this.fail(`the tag ${node.tag} is not supported (only plain YAML maps are)`);
      }
      const map: Record<string, unknown> = {};
      this.memo.set(node, { value: map });
      const merged: Record<string, unknown>[] = [];
      const explicit: { key: string; pyKey?: { key: PyKey; kind?: NumberKind }; entry: Constructed }[] = [];
      const numericKeys = new Map<string, { key: string; pyKey: { key: PyKey; kind?: NumberKind } }>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.tag === undefined && keyNode.source === '<<') {
          merged.push(...this.mergeSources(pair.value));
          continue;
        }
        const key = this.node(keyNode);
        if (key.value !== null && typeof key.value === 'object') {
          this.fail('a mapping key is a list or a map; keys must be plain values');
        }
        const entry = this.node(pair.value);
        if (typeof key.value === 'string') {
          explicit.push({ key: key.value, entry });
        } else {
          // Python: 1, 1.0 and True are one dict key; the first spelling stays, the last value wins.
          const pyKey = key.value as PyKey;
          const identity = pyKey === null ? 'null' : `n:${Number(pyKey)}`;
          const first = numericKeys.get(identity);
          if (first !== undefined) {
            explicit.push({ ...first, entry });
          } else {
            const item = {
              key: String(pyKey),
              pyKey: key.kind === undefined ? { key: pyKey } : { key: pyKey, kind: key.kind },
            };
            numericKeys.set(identity, item);
            explicit.push({ ...item, entry });
          }
        }
      }
      // PyYAML's flatten_mapping: merged pairs first, explicit keys override them.
      for (const source of merged) {
        for (const key of orderedKeys(source)) {
          setKey(map, key, source[key]);
          numberKinds.get(map)?.delete(key);
          pyKeys.get(map)?.delete(key);
          copyKeyMeta(source, map, key);
        }
      }
      for (const { key, pyKey, entry } of explicit) {
        setKey(map, key, entry.value);
        numberKinds.get(map)?.delete(key);
        pyKeys.get(map)?.delete(key);
        if (entry.kind !== undefined) setNumberKind(map, key, entry.kind);
        if (pyKey !== undefined) {
          let keys = pyKeys.get(map);
          if (keys === undefined) pyKeys.set(map, (keys = new Map()));
          keys.set(key, pyKey);
        }
      }
      const order = [...new Set([...merged.flatMap((source) => orderedKeys(source)), ...explicit.map((e) => e.key)])];
      if (order.some(isIndexKey)) keyOrders.set(map, order);
      return { value: map };
    }
    return this.fail('unexpected YAML node');
  }

  private mergeSources(valueNode: unknown): Record<string, unknown>[] {
    const { value } = this.node(valueNode);
    if (isPlainObject(value)) return [value];
    if (Array.isArray(value) && value.every(isPlainObject)) {
      // Earlier maps in a `<<: [*a, *b]` list win, so apply them last.
      return [...(value as Record<string, unknown>[])].reverse();
    }
    return this.fail('a `<<` merge key needs a map or a list of maps');
  }
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/**
 * Parses YAML the way Python's `yaml.safe_load` does (YAML 1.1 implicit
 * types: `yes`/`on` are booleans, `017` is octal, `1e5` is a string, …).
 * Timestamps are returned as their text. Throws INVALID_PARAMETER_VALUE on
 * malformed YAML or more than one document.
 */
export function safeLoadYaml(text: string): unknown {
  if (typeof text !== 'string') throw invalidParameter(`Expected YAML text (a string) but got ${typeof text}.`);
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const message =
      error.code === 'MULTIPLE_DOCS'
        ? 'the text holds more than one YAML document (a `---` line after content); expected exactly one'
        : error.message.trim();
    throw invalidParameter(`Invalid YAML: ${message}`, { line: error.linePos?.[0]?.line ?? null });
  }
  try {
    return new Reader(doc).node(doc.contents).value;
  } catch (error) {
    if (error instanceof RangeError) throw invalidParameter('Invalid YAML: it is nested too deeply to read.');
    throw error;
  }
}
