// What the test pages have on `window`: the library under test.
declare const edge: typeof import('../../src/index.js');
