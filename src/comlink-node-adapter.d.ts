// comlink ships this module's types as node-adapter.d.ts beside a .mjs file, which TypeScript does not pair.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export default function nodeEndpoint(port: unknown): Endpoint;
}
