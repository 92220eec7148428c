// @ts-check
/**
 * Onboarding a director: create an enrollment token bound to one director of a cluster (POST
 * /v1/sites/{site}/enrollment-tokens) and show the exact command the control plane returns
 * with it, to paste on the director. The token is shown once (only its hash is stored).
 */
import { get, send, seg } from '../api.js';
import { confirmAction } from '../confirm.js';
import { fill, h, when } from '../dom.js';

const VALIDITY = /** @type {Record<string, number>} */ ({ '1 hour': 3600, '24 hours': 86_400, '7 days': 7 * 86_400 });

/** @type {import('../types.js').View} */
export function onboardingView(main, app) {
  let disposed = false;
  /** @type {any[]} */
  let sites = [];
  /** @type {HTMLSelectElement} */
  const siteSel = h('select', { id: 'ob-site', required: true });
  /** @type {HTMLSelectElement} */
  const clusterSel = h('select', { id: 'ob-cluster', required: true });
  /** @type {HTMLInputElement} */
  const director = h('input', { id: 'ob-director', type: 'text', required: true, list: 'ob-directors', autocomplete: 'off', pattern: '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?', 'aria-describedby': 'ob-director-help' });
  const directorList = h('datalist', { id: 'ob-directors' });
  /** @type {HTMLInputElement} */
  const uses = h('input', { id: 'ob-uses', type: 'number', min: '1', max: '10000', value: '1', required: true });
  /** @type {HTMLSelectElement} */
  const validity = h('select', { id: 'ob-valid' }, Object.keys(VALIDITY).map((k) => h('option', { value: k, selected: k === '24 hours' }, k)));
  /** @type {HTMLInputElement} */
  const description = h('input', { id: 'ob-description', type: 'text', maxlength: '1000', autocomplete: 'off' });
  const result = h('section', { class: 'panel', 'aria-live': 'polite', 'aria-label': 'Enrollment command' });
  result.hidden = true;
  const tokensWrap = h('div', { class: 'table-wrap' });
  const importCommand = h('pre', { class: 'command', id: 'ob-import' });
  const form = h('form', { class: 'stack', 'aria-labelledby': 'ob-form-title' },
    h('h2', { id: 'ob-form-title', class: 'full' }, 'New enrollment token'),
    h('label', { for: siteSel.id }, 'Site'), siteSel,
    h('label', { for: clusterSel.id }, 'Cluster'), clusterSel,
    h('label', { for: director.id }, 'Director name'), h('div', null, director, directorList, h('div', { id: 'ob-director-help', class: 'muted' }, 'The name the cluster spec uses for it (lowercase, digits, hyphens).')),
    h('label', { for: uses.id }, 'Uses'), uses,
    h('label', { for: validity.id }, 'Valid for'), validity,
    h('label', { for: description.id }, 'Note (optional)'), description,
    h('div', { class: 'full' }, h('button', { type: 'submit', class: 'primary' }, 'Create enrollment token')));

  main.append(
    h('h1', null, 'Onboarding'),
    h('p', null, 'Enroll a director: create an enrollment token for its site, then run the command below on the director, as root (it needs node ≥ 20, curl and tar). The installer checks the agent bundle against the checksum this control plane publishes, enrolls, and starts the agent under systemd.'),
    form, result,
    h('h2', null, 'Enrollment tokens of this site'), tokensWrap,
    h('h2', null, 'Coming from keepalived?'),
    h('p', null, 'Bring a pair that runs keepalived today under this control plane: copy the keepalived.conf of each of its directors (one file per director, as on the box) and import them together into the cluster chosen above. With --dry-run it prints the merged spec and every disagreement between the files with both file:line places, and changes nothing; without, it creates the directors and stores the spec as the cluster\'s revision (it needs an operator\'s API token, in VIGIL_TOKEN). Then enroll each director with a command from above: its agent takes over from keepalived.'),
    importCommand,
    h('p', null, 'Or check one director\'s file alone, with the agent the installer put on it: every problem is reported with file:line and a hint, and unsupported keywords are named.'),
    h('pre', { class: 'command' }, 'vigil check /etc/keepalived/keepalived.conf'));

  /** The import command for the chosen site and cluster, against this control plane. */
  function showImport() {
    // Site and cluster names are [a-z0-9-] (the API's rule): nothing in them for a shell to read.
    const api = new URL('.', document.baseURI).href.replace(/\/$/, '');
    importCommand.textContent = `vigil import lb1.conf lb2.conf --site '${siteSel.value || 'SITE'}' --cluster '${clusterSel.value || 'CLUSTER'}' --api '${api}' --dry-run`;
  }
  showImport();

  siteSel.addEventListener('change', () => void siteChanged());
  clusterSel.addEventListener('change', () => { showImport(); void loadDirectors(); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void create();
  });

  async function loadSites() {
    try {
      const r = await get('v1/sites');
      sites = r.items.filter((/** @type {any} */ s) => app.canOperate(s.id));
      if (disposed) return;
      if (sites.length === 0) {
        fill(form, h('p', { class: 'full' }, 'There is no site you may enroll directors into. An admin creates sites (POST /v1/sites).'));
        return;
      }
      fill(siteSel, sites.map((s) => h('option', { value: s.name }, s.name)));
      await siteChanged();
    } catch (e) {
      app.fail(e, 'Loading the sites');
    }
  }

  async function siteChanged() {
    try {
      const r = await get(`v1/sites/${seg(siteSel.value)}/clusters`);
      if (disposed) return;
      fill(clusterSel, r.items.length ? r.items.map((/** @type {any} */ c) => h('option', { value: c.name, 'data-id': c.id }, c.name)) : h('option', { value: '' }, '(no cluster yet)'));
      showImport();
      await Promise.all([loadDirectors(), loadTokens()]);
    } catch (e) {
      app.fail(e, 'Loading the clusters');
    }
  }

  async function loadDirectors() {
    const id = clusterSel.selectedOptions[0]?.dataset.id;
    fill(directorList);
    if (!id) return;
    try {
      const r = await get(`v1/clusters/${seg(id)}/directors`);
      fill(directorList, r.items.filter((/** @type {any} */ d) => !d.enrolled).map((/** @type {any} */ d) => h('option', { value: d.name })));
    } catch (e) {
      app.fail(e, 'Loading the directors');
    }
  }

  async function loadTokens() {
    try {
      const r = await get(`v1/sites/${seg(siteSel.value)}/enrollment-tokens`);
      if (disposed) return;
      fill(tokensWrap, r.items.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('table', null,
        h('thead', null, h('tr', null, ['Created', 'By', 'Note', 'Uses', 'Expires', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, r.items.map((/** @type {any} */ t) => {
          const state = t.revokedAt ? 'revoked' : Date.parse(t.expiresAt) <= Date.now() ? 'expired' : t.uses >= t.maxUses ? 'used up' : 'valid';
          return h('tr', null,
            h('td', null, when(t.createdAt)), h('td', null, t.createdBy), h('td', null, t.description),
            h('td', { class: 'num' }, `${t.uses} / ${t.maxUses}`), h('td', null, when(t.expiresAt)), h('td', null, state),
            h('td', null, state === 'valid' ? h('button', { type: 'button', class: 'small', on: { click: () => void revoke(t) } }, 'Revoke…') : ''));
        }))));
    } catch (e) {
      app.fail(e, 'Loading the enrollment tokens');
    }
  }

  async function create() {
    const site = siteSel.value;
    const cluster = clusterSel.value;
    const name = director.value.trim();
    if (!cluster || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
      app.notify('Pick a cluster and give the director\'s name (lowercase letters, digits and inner hyphens).', 'error');
      (cluster ? director : clusterSel).focus();
      return;
    }
    try {
      // A token for this one director; the control plane answers with the exact command (its
      // URL, the script's checksum, the token handed over stdin rather than on a command line).
      const r = await send('POST', `v1/sites/${seg(site)}/enrollment-tokens`, { cluster, director: name, maxUses: Number(uses.value) || 1, expiresInSeconds: VALIDITY[validity.value] ?? 86_400, ...(description.value.trim() ? { description: description.value.trim() } : {}) });
      const command = String(r.install?.command ?? '');
      const pre = h('pre', { class: 'command', id: 'ob-command' }, command);
      const copy = h('button', { type: 'button', on: { click: () => void copyCommand(command, pre) } }, 'Copy the command');
      fill(result,
        h('h2', null, `Enroll ${name} into ${site} / ${cluster}`),
        h('p', null, 'Enrollment token (shown only now; the control plane keeps only its hash): ', h('span', { class: 'secret', id: 'ob-secret' }, r.secret)),
        h('p', null, `For ${name} only, valid for ${r.token.maxUses} use${r.token.maxUses === 1 ? '' : 's'} until ${when(r.token.expiresAt)}. ${r.install?.note ?? ''}`),
        pre, copy,
        h('p', { class: 'muted' }, `The command downloads install.sh, checks it against SHA-256 ${String(r.install?.scriptSha256 ?? '').slice(0, 16)}…, and runs it with the token on its standard input. To remove the agent later: sh vigil-install.sh --uninstall`));
      result.hidden = false;
      copy.focus();
      void loadTokens();
    } catch (e) {
      app.fail(e, 'Creating the enrollment token');
    }
  }

  /** @param {string} command @param {HTMLElement} pre */
  async function copyCommand(command, pre) {
    try {
      await navigator.clipboard.writeText(command);
      app.notify('Copied.');
    } catch {
      // Clipboard access needs a secure context: select the text for a manual copy instead.
      const range = document.createRange();
      range.selectNodeContents(pre);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      app.notify('Selected: copy it with Ctrl+C.');
    }
  }

  /** @param {any} t */
  async function revoke(t) {
    const ok = await confirmAction({ title: 'Revoke this enrollment token?', body: [`Directors that have not enrolled with it yet can no longer use it (${t.uses} of ${t.maxUses} uses taken). Directors already enrolled keep their own credentials.`, `Recorded in the audit log as token:${app.session.name}.`], confirm: 'Revoke the token', danger: true });
    if (!ok) return;
    try {
      await send('DELETE', `v1/sites/${seg(siteSel.value)}/enrollment-tokens/${seg(t.id)}`);
      app.notify('Revoked.');
      void loadTokens();
    } catch (e) {
      app.fail(e, 'Revoking the token');
    }
  }

  void loadSites();
  return () => {
    disposed = true;
  };
}
