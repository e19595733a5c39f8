/**
 * MLflow's signature types (`mlflow/types/schema.py`: DataType, Array,
 * Object, Map, ColSpec, TensorSpec, ParamSpec, Schema, ModelSignature) and
 * the shapes predict input takes here. Types only, and one constant.
 */

/** `mlflow.types.DataType` names. */
export type DataType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime';
export const DATA_TYPES: readonly DataType[] = [
  'boolean',
  'integer',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'datetime',
];

/** `Array(dtype)` — JSON `{"type": "array", "items": {...}}`. */
export interface ArraySpec {
  type: 'array';
  items: ValueType;
}
/** One property of an `Object` — JSON `{"<name>": {"type": ..., "required": bool}}`. */
export interface PropertySpec {
  type: ValueType;
  required: boolean;
}
/** `Object(properties)` — JSON `{"type": "object", "properties": {...}}`; written sorted by name. */
export interface ObjectSpec {
  type: 'object';
  properties: Record<string, PropertySpec>;
}
/** `Map(value_type)` (string keys) — JSON `{"type": "map", "values": {...}}`. */
export interface MapSpec {
  type: 'map';
  values: ValueType;
}
/** `SparkMLVector()` — read and written for round trips; enforced as an array of doubles. */
export interface SparkMLVectorSpec {
  type: 'sparkml_vector';
}
/** Any column / item / property type. `'any'` is `AnyType` (no validation, null allowed). */
export type ValueType = DataType | ArraySpec | ObjectSpec | MapSpec | SparkMLVectorSpec | 'any';

export interface ColSpec {
  type: ValueType;
  name?: string;
  required: boolean;
}
export interface TensorSpec {
  /** numpy dtype name: float32, float64, int8…int64, uint8…uint64, bool, str, bytes, object, datetime64[ns]… */
  type: string;
  /** -1 = any size in that dimension. */
  shape: number[];
  name?: string;
}
/** `ParamSpec`; `type` is a DataType (never binary) or an Object spec (MLflow 2.19+ object params). */
export interface ParamSpec {
  name: string;
  type: DataType | ObjectSpec;
  default: unknown;
  /** null = scalar (or object); [-1] = 1-D list. */
  shape: number[] | null;
}
export type Schema = { kind: 'columns'; columns: ColSpec[] } | { kind: 'tensors'; tensors: TensorSpec[] };
export interface ModelSignature {
  inputs: Schema | null;
  outputs: Schema | null;
  params: ParamSpec[] | null;
}

/** A dense tensor in row-major order. Typed arrays stay typed (int64 ⇒ BigInt64Array). */
export type Tensor = { data: ArrayLike<number | bigint | boolean | string>; shape: number[]; dtype: string };
export type Columns = Record<string, unknown[]>;
/**
 * `dtypes` (optional) holds the numpy dtype of columns whose dtype is known: columns that came
 * from typed arrays or tensors, and — after `enforceSchema` — every column, as the signature's
 * numpy type (`int64`, `float32`, `str`, `object`, …).
 */
export type PredictInput =
  | { kind: 'columns'; columns: Columns; rows: number; dtypes?: Record<string, string> }
  | { kind: 'tensors'; tensors: Record<string, Tensor> };

/** Key used for the single tensor / column of an unnamed schema (MLflow names them by index). */
export const UNNAMED_INPUT = '0';
