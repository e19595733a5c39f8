/**
 * The page ↔ worker contract stays plain data: the protocol exports types
 * and one name, no behaviour; and what the store keeps matches what the
 * protocol reports (checked by the typecheck, which `npm test` runs).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as protocol from '../../src/protocol.js';
import type { DeadLetter, DeadLetterKind } from '../../src/protocol.js';
import type { DeadLetterRecord } from '../../src/store/schema.js';

describe('protocol', () => {
  it('exports no behaviour: types, and the JS flavor name', () => {
    expect(Object.keys(protocol)).toEqual(['FLAVOR_JS']);
    expect(protocol.FLAVOR_JS).toBe('mlflow_edge_js');
  });

  it("reports the dead letters the store keeps (one kind list; the store's copy must equal it)", () => {
    expectTypeOf<DeadLetterRecord['kind']>().toEqualTypeOf<DeadLetterKind>();
    expectTypeOf<Pick<DeadLetterRecord, keyof DeadLetter>>().toEqualTypeOf<DeadLetter>();
  });
});
