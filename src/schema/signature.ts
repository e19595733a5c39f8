/**
 * MLflow model signatures (the `signature` map of an MLmodel file) and their enforcement at
 * predict time, mirroring MLflow 3.x: `mlflow/types/schema.py` (Schema, ColSpec, TensorSpec,
 * ParamSpec, Array/Object/Map/AnyType), `mlflow/models/signature.py`, `mlflow/models/utils.py`
 * (`_enforce_schema`, `_enforce_mlflow_datatype`, `_enforce_tensor_spec`, `_enforce_type`,
 * `_enforce_params_schema`) and `mlflow/types/utils.py` (`_infer_schema`, `_infer_param_schema`).
 *
 * JavaScript has one number type, so some of numpy's distinctions need a rule. The rules:
 *
 * - Plain JS values follow the scoring server's JSON path (values are cast to the signature's
 *   type, then enforced), but only where the cast is exact:
 *   - `integer` / `long` column: a number is accepted only when `Number.isInteger` (and within
 *     int32 / int64 range); a bigint too. null / NaN is an error (MLflow: "Integer columns in python
 *     can not represent missing values").
 *   - `float` / `double` column: any number (NaN allowed; null becomes NaN). `float` values are
 *     rounded to float32 (`Math.fround`), as `astype(float32)` does. A bigint is int64: allowed
 *     only when every bigint is 0 or 1 (MLflow's int64 → float rule).
 *   - `boolean`: booleans (null kept); `string`: strings (null kept) — numbers are not stringified.
 *   - `binary`: Uint8Array, ArrayBuffer or a base64 string (decoded, as the scoring server does).
 *   - `datetime`: Date, or an ISO-8601 string without a zone (`2024-05-06`, `2024-05-06T07:08:09`);
 *     a string with `Z`/offset is refused as MLflow refuses timezone-aware datetimes.
 * - Typed arrays carry a numpy dtype (Float32Array = float32, BigInt64Array = int64, …) and follow
 *   numpy's rules exactly: a Float64Array column is refused for a `float` column, an Int32Array
 *   is accepted for `long` / `double`, a BigInt64Array for `double` only when all values are 0/1;
 *   a tensor must have the signature's dtype exactly (no cast), as `_enforce_tensor_spec` does.
 * - Nested JS arrays for a tensor signature are cast to the tensor's dtype, as the scoring server's
 *   `np.array(data, dtype=spec.type)` does (but integers must be whole numbers).
 * - Params: a number is an int when `Number.isInteger` (so `1.0` is accepted for a `long` param,
 *   unlike Python's JSON float); bigint is an int; booleans are never numbers.
 *
 * Where MLflow's scoring server is silently lossy, this module refuses instead: `1.5` for a long
 * column (pandas `astype` truncates to 1), `2**40` for an integer column (wraps to 0), invalid
 * base64 for binary (decodes to b'').
 *
 * Shapes of JS input (`normalizeInput`), following the scoring server where JS is ambiguous:
 * - `{col: array}` is a table of columns (as `pd.DataFrame(dict)` / `{"inputs": {...}}` in serving),
 *   except when the signature has an Array/Object column or every value is a scalar: then the
 *   object is ONE record (MLflow's `_enforce_schema` rule). Python's `infer_signature` reads a dict
 *   of lists as one record of Array columns; `inferSignature` here reads it as columns, consistently
 *   with `normalizeInput` (pass records `[{col: [..]}]` to get Array columns).
 * - A flat array for a signature with one named column fills that column (serving's rule for
 *   `{"inputs": [...]}`); nested arrays are rows (column signature) or a tensor (tensor signature).
 * - A flat typed array for a tensor spec such as (-1, 4) is shaped after the spec when its length
 *   allows exactly one shape; pass `{data, shape, dtype}` to be explicit.
 * - An unnamed tensor / single unnamed column is keyed "0" (`UNNAMED_INPUT`), as MLflow indexes
 *   unnamed inputs.
 * - `inferSignature`: JS integers infer `long` and fractions `double`; a column or list mixing both
 *   infers `double` (Python would fail and fall back to AnyType).
 */
export * from './signature/types.js';
export { parseSignature } from './signature/mlmodel-json.js';
export { signatureToMlmodel } from './signature/mlmodel-json.js';
export { normalizeInput } from './signature/input.js';
export { enforceSchema } from './signature/enforce.js';
export { enforceParams } from './signature/params.js';
export { inferSignature } from './signature/infer.js';
export { signatureToJsonSchema } from './signature/json-schema.js';
