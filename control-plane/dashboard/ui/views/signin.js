// @ts-check
/**
 * Sign-in: the API token is typed here and sent once, as the bearer of POST /v1/session; the
 * answer sets an HttpOnly session cookie. The form never submits itself (the CSP forbids form
 * submission), so the token can end up in no URL and no history; the field is cleared at once.
 */
import { ApiError, send } from '../api.js';
import { h } from '../dom.js';

/**
 * @param {HTMLElement} root
 * @param {(session: any) => void} onSignedIn
 * @param {string} [reason]
 */
export function mountSignIn(root, onSignedIn, reason) {
  /** @type {HTMLInputElement} */
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help', placeholder: 'vgl_…' });
  /** @type {HTMLButtonElement} */
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const error = h('p', { class: 'error', role: 'alert' });
  if (reason) error.textContent = reason;
  const form = h('form', { class: 'signin', method: 'post', 'aria-labelledby': 'signin-title', novalidate: true },
    h('h1', { id: 'signin-title' }, 'Sign in to Vigil'),
    h('label', { for: 'token' }, 'API token'),
    token,
    h('p', { id: 'token-help', class: 'help' }, 'An API token (vgl_…): the one `npm start` printed on first start, or one from POST /v1/tokens. It is exchanged for a session cookie and not kept by this page.'),
    submit,
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const secret = token.value.trim();
    token.value = '';
    if (!secret) {
      error.textContent = 'Enter an API token.';
      token.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      onSignedIn(await send('POST', 'v1/session', undefined, { bearer: secret }));
    } catch (e) {
      error.textContent = e instanceof ApiError ? `Sign-in refused: ${e.message}` : `Sign-in failed: ${String(e)}`;
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(h('main', { id: 'main', class: 'signin-page' }, form));
  token.focus();
}
