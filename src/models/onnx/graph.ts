/**
 * An ONNX file made fit for onnxruntime-web before a session opens it, or
 * refused with what to do. onnxruntime-web returns tensors only, so a
 * `ZipMap` that ends the graph (skl2onnx's default classifier output: one map
 * of class label → probability per row) becomes an `Identity` of its input
 * tensor under the same output name, and the flavor rebuilds the maps from
 * that tensor and the labels recorded here. Every other output must already
 * be a tensor. Everything that would fail inside onnxruntime-web with a
 * message naming no cause fails here first: operators from custom domains,
 * IR versions and opsets newer than the runtime reads, missing external data.
 * Only the bytes of the graph's rewritten nodes and outputs change.
 */
import { invalidParameter } from '../../schema/errors.js';
import { type Field, fields, ints, lengthDelimited, rewrite, stringField, text, varintField } from './wire.js';

/** What a released onnxruntime-web reads, probed by loading Identity models of each version (README, Models). */
export const ORT_WEB_LIMITS: Record<string, { irVersion: number; opsets: Record<string, number> }> = {
  '1.30': { irVersion: 13, opsets: { '': 26, 'ai.onnx': 26, 'ai.onnx.ml': 5 } },
};
/** Domains whose operators onnxruntime-web ships (ORT's own contrib ops included). */
const BUILTIN_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'ai.onnx.preview.training']);

export interface PreparedOnnx {
  /** The file to open: the input itself when nothing was rewritten. */
  bytes: Uint8Array;
  /** Outputs that were ZipMaps: output name → class labels, in the tensor's column order. */
  zipMaps: Map<string, (number | string)[]>;
  /** `location`s of tensors stored outside the file, relative to the ONNX file's folder. */
  externalData: string[];
}

// Field numbers from onnx/onnx.proto.
const MODEL = { irVersion: 1, graph: 7, opsetImport: 8, functions: 25 };
const GRAPH = { node: 1, initializer: 5, output: 12 };
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, docString: 6, domain: 7 };
const ATTR = { name: 1, g: 6, ints: 8, strings: 9, graphs: 11 };
const TYPE = { tensor: 1, sequence: 4, map: 5, sparse: 8, optional: 9 };
const ELEM: Record<number, string> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

const fail = (message: string, details: Record<string, unknown>) =>
  invalidParameter(message, { field: 'model.onnx', ...details });

function sub(buf: Uint8Array, f: Field, no: number): Field | undefined {
  for (const g of fields(buf, f.from, f.to)) if (g.no === no && g.wire === 2) return g;
  return undefined;
}
function str(buf: Uint8Array, f: Field, no: number): string {
  const g = sub(buf, f, no);
  return g === undefined ? '' : text(buf, g);
}

/** An ONNX `TypeProto` written as ONNX writes types: `seq(map(int64,tensor(float)))`. */
export function typeName(buf: Uint8Array, t: Field | undefined): string {
  if (t === undefined) return 'unknown';
  for (const f of fields(buf, t.from, t.to)) {
    const elem = () => {
      for (const g of fields(buf, f.from, f.to))
        if (g.no === 1 && g.wire === 0) return ELEM[g.value] ?? `type ${g.value}`;
      return 'unknown';
    };
    if (f.no === TYPE.tensor) return `tensor(${elem()})`;
    if (f.no === TYPE.sparse) return `sparse_tensor(${elem()})`;
    if (f.no === TYPE.sequence) return `seq(${typeName(buf, sub(buf, f, 1))})`;
    if (f.no === TYPE.optional) return `optional(${typeName(buf, sub(buf, f, 1))})`;
    if (f.no === TYPE.map) {
      let key = 'unknown';
      for (const g of fields(buf, f.from, f.to)) if (g.no === 1 && g.wire === 0) key = ELEM[g.value] ?? key;
      return `map(${key},${typeName(buf, sub(buf, f, 2))})`;
    }
  }
  return 'unknown';
}

const SUBGRAPH_OPS = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);

/** Every node's domain, subgraphs (If, Loop, Scan bodies) included. */
function checkDomains(buf: Uint8Array, graph: Field, known: Set<string>): void {
  for (const f of fields(buf, graph.from, graph.to)) {
    if (f.no !== GRAPH.node) continue;
    const domain = str(buf, f, NODE.domain);
    if (!known.has(domain)) {
      const op = str(buf, f, NODE.opType);
      throw fail(
        `The ONNX model uses operator '${op}' from the custom domain '${domain}', which onnxruntime-web does not have (custom operators cannot be registered in the browser). Export the model with standard ONNX operators only, e.g. without onnxruntime-extensions.`,
        { operator: op, domain },
      );
    }
    // Only control-flow operators hold subgraphs; other attributes (a forest's unpacked
    // repeated ints: tens of thousands of fields) are not walked.
    if (!SUBGRAPH_OPS.has(str(buf, f, NODE.opType))) continue;
    for (const a of fields(buf, f.from, f.to)) {
      if (a.no !== NODE.attribute) continue;
      for (const g of fields(buf, a.from, a.to))
        if ((g.no === ATTR.g || g.no === ATTR.graphs) && g.wire === 2) checkDomains(buf, g, known);
    }
  }
}

/**
 * Checks `bytes` against what onnxruntime-web `version` reads (limits are
 * checked only for versions in `ORT_WEB_LIMITS`) and rewrites ZipMap outputs.
 */
export function prepareOnnx(bytes: Uint8Array, version?: string): PreparedOnnx {
  let graph: Field | undefined;
  let irVersion = 0;
  const known = new Set(BUILTIN_DOMAINS);
  const opsets: [string, number][] = [];
  for (const f of fields(bytes)) {
    if (f.no === MODEL.irVersion && f.wire === 0) irVersion = f.value;
    else if (f.no === MODEL.graph && f.wire === 2) graph = f;
    else if (f.no === MODEL.opsetImport && f.wire === 2) {
      let v = 1;
      for (const g of fields(bytes, f.from, f.to)) if (g.no === 2 && g.wire === 0) v = g.value;
      opsets.push([str(bytes, f, 1), v]);
    } else if (f.no === MODEL.functions && f.wire === 2) known.add(str(bytes, f, 10)); // model-local functions
  }
  if (graph === undefined) throw fail('model.onnx holds no graph. Check that the file is a complete ONNX model.', {});

  const limits = version === undefined ? undefined : ORT_WEB_LIMITS[version.split('.').slice(0, 2).join('.')];
  if (limits !== undefined) {
    if (irVersion > limits.irVersion)
      throw fail(
        `The ONNX model has IR version ${irVersion}; onnxruntime-web ${version} reads IR versions up to ${limits.irVersion}. Save the model with an older onnx package (or set model.ir_version = ${limits.irVersion} if it uses nothing newer), or load it with a newer onnxruntime-web.`,
        { irVersion, maxIrVersion: limits.irVersion },
      );
    for (const [domain, v] of opsets) {
      const max = limits.opsets[domain];
      if (max !== undefined && v > max)
        throw fail(
          `The ONNX model imports opset ${v} of domain '${domain || 'ai.onnx'}'; onnxruntime-web ${version} reads up to opset ${max}. Convert the model with target_opset=${max} (skl2onnx: to_onnx(..., target_opset={'': ${limits.opsets['']}, 'ai.onnx.ml': ${limits.opsets['ai.onnx.ml']}})), or load it with a newer onnxruntime-web.`,
          { domain, opset: v, maxOpset: max },
        );
    }
  }
  checkDomains(bytes, graph, known);

  // Who consumes what, and which nodes are ZipMaps.
  const consumed = new Set<string>();
  const zipMapOf = new Map<string, Field>(); // ZipMap output name → its node
  const externalData: string[] = [];
  for (const f of fields(bytes, graph.from, graph.to)) {
    if (f.no === GRAPH.node) {
      let op = '';
      let output: string | undefined;
      for (const g of fields(bytes, f.from, f.to)) {
        if (g.no === NODE.input) consumed.add(text(bytes, g));
        else if (g.no === NODE.output) output ??= text(bytes, g);
        else if (g.no === NODE.opType) op = text(bytes, g);
      }
      if (op === 'ZipMap' && output !== undefined) zipMapOf.set(output, f);
    } else if (f.no === GRAPH.initializer) {
      let external = false;
      let location: string | undefined;
      for (const g of fields(bytes, f.from, f.to)) {
        if (g.no === 14 && g.wire === 0)
          external = g.value === 1; // data_location: EXTERNAL
        else if (g.no === 13 && str(bytes, g, 1) === 'location') location = str(bytes, g, 2);
      }
      if (external && location !== undefined && !externalData.includes(location)) externalData.push(location);
    }
  }

  const zipMaps = new Map<string, (number | string)[]>();
  const rewritten = new Map<number, Uint8Array>(); // by the field's offset: each pass yields new Field objects
  for (const f of fields(bytes, graph.from, graph.to)) {
    if (f.no !== GRAPH.output) continue;
    const name = str(bytes, f, 1);
    const type = sub(bytes, f, 2);
    const onnxType = typeName(bytes, type);
    if (onnxType.startsWith('tensor(')) continue;
    const node = zipMapOf.get(name);
    if (node === undefined || consumed.has(name))
      throw fail(
        `The ONNX model's output '${name}' is of type ${onnxType}, and onnxruntime-web returns tensors only. Convert the model so that every output is a tensor: with skl2onnx, options={id(model): {'zipmap': False}} for a classifier's probabilities.`,
        { output: name, onnxType },
      );
    zipMaps.set(name, zipMapLabels(bytes, node));
    rewritten.set(node.start, identityOf(bytes, node));
    // The output keeps its name and becomes the float tensor that fed the ZipMap.
    rewritten.set(
      f.start,
      lengthDelimited(
        GRAPH.output,
        stringField(1, name),
        lengthDelimited(2, lengthDelimited(TYPE.tensor, varintField(1, 1))),
      ),
    );
  }
  if (rewritten.size === 0) return { bytes, zipMaps, externalData };
  const newGraph = rewrite(bytes, (f) => rewritten.get(f.start), graph.from, graph.to);
  const out = rewrite(bytes, (f) => (f.start === graph.start ? lengthDelimited(MODEL.graph, newGraph) : undefined));
  return { bytes: out, zipMaps, externalData };
}

/** The same node as an `Identity` of its input: the first input and output, no attributes. */
function identityOf(buf: Uint8Array, node: Field): Uint8Array {
  const body = rewrite(
    buf,
    (g) => {
      if (g.no === NODE.opType) return stringField(NODE.opType, 'Identity');
      if (g.no === NODE.attribute || g.no === NODE.domain || g.no === NODE.docString) return new Uint8Array();
      return undefined;
    },
    node.from,
    node.to,
  );
  return lengthDelimited(GRAPH.node, body);
}

function zipMapLabels(buf: Uint8Array, node: Field): (number | string)[] {
  for (const a of fields(buf, node.from, node.to)) {
    if (a.no !== NODE.attribute) continue;
    const name = str(buf, a, ATTR.name);
    const labels: (number | string)[] = [];
    for (const g of fields(buf, a.from, a.to)) {
      if (name === 'classlabels_int64s' && g.no === ATTR.ints) labels.push(...ints(buf, g));
      else if (name === 'classlabels_strings' && g.no === ATTR.strings) labels.push(text(buf, g));
    }
    if (labels.length > 0) return labels;
  }
  throw fail('A ZipMap node of the ONNX model has no class labels. Check that model.onnx is complete.', {});
}
