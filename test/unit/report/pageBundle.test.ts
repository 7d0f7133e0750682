/**
 * The report page runs the compiled-model forward pass of src/model/forward.ts (bundled), not a
 * copy of it, and its script can sit inside a <script> element.
 */
import { describe, expect, it } from 'vitest';
import { pageScript } from '../../../src/report/pageBundle.js';

describe('the report page script', () => {
  const script = pageScript();

  it('bundles the forward pass and decoding of src/model', () => {
    expect(script).toContain('// src/model/forward.ts');
    expect(script).toContain('// src/model/decode.ts');
    expect(script).toContain('// src/report/page/main.ts');
  });

  it('cannot end or comment out its <script> element', () => {
    expect(script).not.toMatch(/<\/script|<!--/i);
  });
});
