import { describe, expect, inject, it } from 'vitest';
import { REQUIRED_TOOLS, provideTools } from './support/system-tools.js';

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

describe('providing system tools', () => {
  it('checks Chromium at the path the browser tests launch, and installs nothing with HLGW_TEST_NO_INSTALL=1', () => {
    const lines: string[] = [];
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      const status = provideTools(['chromium'], (l) => lines.push(l), { ...process.env, HLGW_TEST_NO_INSTALL: '1' });
      expect(status.chromium).toMatch(/chromium is not installed.*CHROMIUM_PATH/);
      expect(lines).toEqual([expect.stringContaining('HLGW_TEST_NO_INSTALL=1, so nothing is installed')]);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  it('says nothing and installs nothing when every tool runs', () => {
    const lines: string[] = [];
    const present = REQUIRED_TOOLS.filter((t) => inject('hlgwTools')[t] === '');
    expect(provideTools(present, (l) => lines.push(l))).toEqual(Object.fromEntries(present.map((t) => [t, undefined])));
    expect(lines).toEqual([]);
  });
});
