/**
 * The flags panel's script, inlined with the page's CSP nonce like LIVE_SCRIPT (no inline
 * handlers: the CSP forbids them). Each form becomes one PUT /api/v1/admin/flags/{key}; the
 * "Enabled" box saves as soon as it changes, so killing a feature is one keystroke. After a
 * save the page reloads to show the new "who and when" and the history; a refusal shows the
 * problem document's detail and field errors in the status line.
 */
export const FLAGS_SCRIPT = `(() => {
  const status = document.querySelector('[data-flag-status]');
  const say = (t) => { if (status) status.textContent = t; };
  const ids = (text) => text.split(/[\\s,]+/).map((s) => s.trim()).filter(Boolean);
  async function send(method, key, body) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const res = await fetch('/api/v1/admin/flags/' + encodeURIComponent(key), init);
    if (res.ok) return true;
    let detail = 'the server answered ' + res.status;
    try {
      const p = await res.json();
      detail = p.detail + (p.errors ? ' ' + p.errors.map((e) => e.path + ': ' + e.message).join('; ') : '');
    } catch {}
    say('Not saved: ' + detail);
    return false;
  }
  function bodyOf(form) {
    return {
      description: form.elements.description.value,
      enabled: form.elements.enabled.checked,
      rollout: Number(form.elements.rollout.value),
      allow: ids(form.elements.allow.value),
      deny: ids(form.elements.deny.value),
    };
  }
  async function save(form) {
    const key = form.dataset.key || form.elements.key.value.trim();
    say('Saving ' + key + '…');
    if (await send('PUT', key, bodyOf(form))) { say('Saved ' + key + '.'); location.reload(); }
  }
  for (const form of document.querySelectorAll('[data-flag-form]')) {
    const range = form.elements.rollout, out = form.querySelector('[data-rollout-output]');
    range.addEventListener('input', () => { out.textContent = range.value; });
    form.addEventListener('submit', (e) => { e.preventDefault(); save(form); });
    if (form.dataset.key) form.elements.enabled.addEventListener('change', () => save(form));
    const del = form.querySelector('[data-flag-delete]');
    if (del) del.addEventListener('click', async () => {
      if (!confirm('Delete the flag ' + form.dataset.key + '? Every user then gets the default.')) return;
      if (await send('DELETE', form.dataset.key)) { say('Deleted ' + form.dataset.key + '.'); location.reload(); }
    });
  }
})();`;
