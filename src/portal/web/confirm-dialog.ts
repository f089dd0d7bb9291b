import { h, on, uid } from './dom.js';

/**
 * Asks before something that cannot be undone. A native modal <dialog>: focus moves into it and
 * stays there, Escape cancels, and focus returns to the control that opened it.
 */
export function confirmAction(o: { title: string; message: string[]; confirm: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const ok = h('button', { type: 'button', class: o.danger ? 'danger' : 'primary' }, o.confirm);
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'confirm' },
      h('h2', { id: titleId }, o.title),
      ...o.message.map((m) => h('p', {}, m)),
      h('div', { class: 'actions' }, cancel, ok),
    );
    let answer = false;
    on(cancel, 'click', () => dialog.close());
    on(ok, 'click', () => { answer = true; dialog.close(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      back?.focus();
      resolve(answer);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
