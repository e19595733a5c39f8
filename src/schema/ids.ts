/** A new run id: 32 lowercase hex characters, like MLflow's `uuid4().hex`. */
export function newRunId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}
