import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { DESKTOP, launchChromium } from '../support/browser.js';
import { FakeClock } from '../support/fake-clock.js';
import { startLifecycleGateway, USERS, usersFilePath, type LifecycleGateway } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';

const { alice, manager } = USERS;

/**
 * A user removed from the users file while their page is open: after the reload, the page's next
 * action (Generate) meets 401 and shows the sign-in screen; no token is generated.
 */
describe.skipIf(lacks('chromium'))('an open portal page of a user removed by a reload (Chromium)', () => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-browser-removed-'));
  const file = join(dir, 'users.yaml');
  let g: LifecycleGateway;
  let browser: Browser;
  const store = new SqliteStore(':memory:');

  beforeAll(async () => {
    await upstream.start();
    writeFileSync(file, readFileSync(await usersFilePath(), 'utf8'));
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store, clock: new FakeClock(), config: { users: { source: 'file', file } } });
    await g.enable(manager);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await g?.close();
    await store.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the next action shows the sign-in screen and generates nothing', async () => {
    const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await page.goto(`${g.url}/auth/ui/`);
    await page.getByLabel('Login').fill(alice.login);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Generate Access Token' }).waitFor();

    const doc = parse(readFileSync(file, 'utf8')) as { users: { login: string }[] };
    writeFileSync(file, stringify({ users: doc.users.filter((u) => u.login !== alice.login) }));
    await g.t.gw.reload(g.t.config);

    await page.getByRole('button', { name: 'Generate Access Token' }).click();
    await page.getByRole('dialog').getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Access token', { exact: true }).count()).toBe(0);
    expect(await g.t.gw.store.listTokens(alice.companyId, alice.userId)).toEqual([]);
    // Opened again, the page starts at the sign-in screen.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('button', { name: 'Generate Access Token' }).count()).toBe(0);
  });
});
