import { inject } from 'vitest';
import type { SystemTool } from './system-tools.js';

/**
 * True when the run could not provide `tool` (test/support/global-setup.ts). Suites that need it
 * are then not collected (`describe.skipIf(lacks('redis-server'))`): test/system-tools.test.ts
 * fails instead, once, with the line naming the command to run, rather than every suite with a stack.
 */
export function lacks(tool: SystemTool): boolean {
  return (inject('hlgwTools')[tool] ?? '') !== '';
}
