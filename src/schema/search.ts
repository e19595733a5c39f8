/**
 * Client-side `search_runs`: MLflow's `filter_string` and `order_by`, read the
 * way MLflow's SQL tracking store reads them.
 *
 * Sources (MLflow 3.x): the grammar, keys, comparators and messages follow
 * `SearchUtils` in mlflow/utils/search_utils.py (`_get_identifier`, `_get_value`,
 * `is_metric`/`is_param`/..., `_parse_order_by_string`, `_parse_run_ids`); the
 * meaning of a comparison follows mlflow/store/tracking/sqlalchemy_store.py
 * (`_get_sqlalchemy_filter_clauses`, `_get_orderby_clauses`,
 * `_get_metric_value_details`), i.e. SQL, not the in-memory `SearchUtils.filter`.
 *
 * What that means here, in short:
 * - Clauses are joined by AND (any case). OR, NOT, parentheses are not run-search
 *   syntax. Like MLflow, stray ANDs (`a = 1 AND`, `AND AND a = 1`) are tolerated.
 * - An identifier without an entity prefix is an attribute (`status = 'FINISHED'`).
 *   Prefixes are case-sensitive. The key is everything after the first dot, with
 *   one layer of "…", '…' or `…` removed: `metrics.val.loss`, tags.`my key`.
 * - Metrics, params and tags are inner-joined rows: a run without the key never
 *   matches a comparison, `!=` included. `IS NULL` / `IS NOT NULL` test presence
 *   (params and tags only, as MLflow since mlflow/mlflow#21283).
 * - String values keep their text exactly as written between the quotes; MLflow
 *   does not unescape `''` or `\'` either.
 * - LIKE is case-sensitive (MLflow sets `PRAGMA case_sensitive_like` on SQLite),
 *   ILIKE is not; `%` is any run of characters, `_` one character, no escape char.
 * - NaN and ±Infinity metrics: the SQL store saves NaN as value 0 with `is_nan`
 *   set, and ±Infinity as ±1.7976931348623157e308 (`_get_metric_value_details`);
 *   filters compare the stored value and ignore `is_nan`. So here, in filters, a
 *   NaN metric compares as 0 (`metrics.x = 0` matches it) and ±Infinity as
 *   ±Number.MAX_VALUE. In order_by, NaN sorts after every number and before runs
 *   missing the metric, whichever the direction (MLflow's `is_nan` CASE column).
 * - order_by: missing values sort last in both directions; ties fall back to
 *   start_time DESC (unless start_time was ordered on) then run_id ASC. Strings
 *   compare by code point (SQLite's BINARY collation), numbers numerically.
 */
export type { RunPredicate } from './search/evaluate.js';
export { compileFilter } from './search/evaluate.js';
export type { RunComparator } from './search/order-by.js';
export { compileOrderBy } from './search/order-by.js';
