import { h, on, uid } from './dom.js';
import { renderAuditPanel } from './audit-panel.js';
import { renderPolicyPanel } from './token-policy-panel.js';
import type { SessionInfo } from './sign-in-screen.js';
import { renderTokenTable } from './token-table-panel.js';

type Tab = { name: string; render: (panel: HTMLElement, s: SessionInfo) => void; reloadOnShow: boolean };

const TABS: Tab[] = [
  { name: 'Settings', render: renderPolicyPanel, reloadOnShow: false },
  { name: 'Tokens', render: renderTokenTable, reloadOnShow: true },
  { name: 'Audit', render: renderAuditPanel, reloadOnShow: true },
];

/**
 * COMPANIES > Token Management, for portfolio managers: the policy (on/off, pass phrase,
 * duration), every user's token, and the audit trail, as WAI-ARIA tabs (arrow keys move
 * between tabs, Tab moves into the panel).
 */
export function renderTokenManagement(main: HTMLElement, s: SessionInfo): void {
  document.title = 'Token Management · Highlight access tokens';
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Token Management' });
  const tabs: HTMLButtonElement[] = [];
  const panels: HTMLElement[] = [];
  const shown = new Set<number>();

  TABS.forEach((t, i) => {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const tab = h('button', { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, 'aria-selected': 'false', tabindex: '-1' }, t.name);
    const panel = h('section', { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0', hidden: true });
    on(tab, 'click', () => select(i));
    on(tab, 'keydown', (e) => {
      const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : -2;
      if (next === -2) return;
      e.preventDefault();
      select((next + TABS.length) % TABS.length);
      tabs[(next + TABS.length) % TABS.length]!.focus();
    });
    tabs.push(tab);
    panels.push(panel);
    tablist.appendChild(tab);
  });

  function select(i: number): void {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', String(i === j));
      t.tabIndex = i === j ? 0 : -1;
      panels[j]!.hidden = i !== j;
    });
    if (!shown.has(i) || TABS[i]!.reloadOnShow) {
      shown.add(i);
      TABS[i]!.render(panels[i]!, s);
    }
  }

  main.append(
    h('h1', { tabindex: '-1' }, 'Token Management'),
    h('p', { class: 'lead' }, `Personal access tokens of company ${s.companyId}.`),
    tablist,
    ...panels,
  );
  select(0);
}
