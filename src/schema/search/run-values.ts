/** A run's values as MLflow's SQL store holds them: what filters compare and order_by sorts. */
import type { RunInfo } from '../entities.js';

/** Run attributes as this library stores them; artifact_uri is not kept locally yet (always absent). */
export function stringAttribute(info: RunInfo, key: string): string | undefined {
  switch (key) {
    case 'run_id':
      return info.runId;
    case 'run_name':
      return info.runName;
    case 'status':
      return info.status;
    case 'user_id':
      return info.userId;
    default:
      return undefined; // artifact_uri
  }
}

export function numericAttribute(info: RunInfo, key: string): number | undefined {
  return key === 'start_time' ? info.startTime : info.endTime;
}

/** How the SQL store stores a metric value (`_get_metric_value_details`). */
export function storedMetric(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Infinity) return Number.MAX_VALUE;
  if (value === -Infinity) return -Number.MAX_VALUE;
  return value;
}

export function own<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
