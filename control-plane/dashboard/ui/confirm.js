// @ts-check
/**
 * Every action asks first, in words: what will happen, to what, and that it is recorded with
 * the operator's name. A modal <dialog>: focus starts on Cancel, Escape cancels, and focus
 * returns to the control that opened it.
 */
import { h } from './dom.js';

/**
 * @param {{ title: string, body: string[], confirm: string, danger?: boolean }} o
 * @returns {Promise<boolean>}
 */
export function confirmAction(o) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    /** @type {HTMLDialogElement} */
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
      h('h2', { id: 'confirm-title' }, o.title),
      h('div', { id: 'confirm-body' }, o.body.map((p) => h('p', null, p))),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'cancel', on: { click: () => dialog.close('cancel') } }, 'Cancel'),
        h('button', { type: 'button', class: o.danger ? 'danger ok' : 'primary ok', on: { click: () => dialog.close('ok') } }, o.confirm)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    /** @type {HTMLButtonElement} */ (dialog.querySelector('button.cancel')).focus();
  });
}
