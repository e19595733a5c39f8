/**
 * Comlink's stock `throw` handler sends only message, name and stack, so an
 * MlflowEdgeError would reach the page without its `code`. Both sides install
 * this: the worker sends the whole error, the page revives the typed class.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { reviveError, serializeError, type SerializedError } from './schema/errors.js';

type Thrown = { value: unknown };
type Wire = { isError: true; value: SerializedError } | { isError: false; value: unknown };

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  const stock = transferHandlers.get('throw') as TransferHandler<Thrown, Wire> | undefined;
  if (stock === undefined) return;
  installed = true;
  transferHandlers.set('throw', {
    canHandle: stock.canHandle,
    serialize: ({ value }: Thrown): [Wire, Transferable[]] =>
      value instanceof Error ? [{ isError: true, value: serializeError(value) }, []] : [{ isError: false, value }, []],
    deserialize: (wire: Wire): never => {
      throw wire.isError ? reviveError(wire.value) : wire.value;
    },
  } satisfies TransferHandler<Thrown, Wire> as TransferHandler<unknown, unknown>);
}
