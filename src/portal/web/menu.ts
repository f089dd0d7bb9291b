import { h, on, uid } from './dom.js';

/**
 * A disclosure menu (WAI-ARIA disclosure pattern: a button with aria-expanded showing a list of
 * links or buttons). Escape closes it and returns focus to the button; so does a click elsewhere.
 */
export function disclosureMenu(label: string, items: HTMLElement[], o: { className?: string; buttonLabel?: string } = {}): HTMLElement {
  const listId = uid('menu');
  const button = h('button', { type: 'button', class: 'menu-button', 'aria-expanded': 'false', 'aria-controls': listId, 'aria-label': o.buttonLabel ?? null }, label);
  const list = h('ul', { id: listId, class: 'menu-list', hidden: true }, ...items.map((i) => h('li', {}, i)));
  const wrap = h('div', { class: `menu ${o.className ?? ''}` }, button, list);
  const set = (open: boolean) => {
    button.setAttribute('aria-expanded', String(open));
    list.hidden = !open;
  };
  on(button, 'click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    set(open);
    if (open) list.querySelector<HTMLElement>('a, button')?.focus();
  });
  on(wrap, 'keydown', (e) => {
    if (e.key === 'Escape' && !list.hidden) {
      set(false);
      button.focus();
    }
  });
  for (const i of items) on(i, 'click', () => set(false));
  document.addEventListener('click', (e) => {
    if (!wrap.contains(e.target as Node)) set(false);
  });
  return wrap;
}
