import { describe, expect, inject, it } from 'vitest';
import { REQUIRED_TOOLS } from './support/system-tools.js';

// The one red line when a system program the suite needs cannot be had on this machine
// (the suites that need it are not collected then; see test/support/requires.ts).
describe('system tools the suite runs for real', () => {
  it.each(REQUIRED_TOOLS)('%s is available (installed by the test setup when missing)', (tool) => {
    const why = inject('hlgwTools')[tool];
    if (why) {
      const err = new Error(why);
      err.stack = why; // one line, no trace: the message is the whole story
      throw err;
    }
    expect(why).toBe('');
  });
});
