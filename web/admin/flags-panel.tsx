import type { FlagHistoryEntry } from '../../worker/flags/repository';
import type { Flag } from '../../worker/flags/schema';

export interface FlagsPanelData {
  flags: Flag[];
  history: FlagHistoryEntry[];
}

const lines = (ids: string[]) => ids.join('\n');

/** The fields of one flag; the same for a new flag and an existing one. */
function FlagFields({ id, flag }: { id: string; flag: Pick<Flag, 'description' | 'enabled' | 'rollout' | 'allow' | 'deny'> }) {
  return (
    <>
      <label for={`${id}-description`}>Description</label>
      <input id={`${id}-description`} name="description" type="text" maxLength={500} value={flag.description} />
      <div class="flag-row">
        <input id={`${id}-enabled`} name="enabled" type="checkbox" checked={flag.enabled} />
        <label for={`${id}-enabled`}>Enabled (off is a kill switch: nobody gets the feature)</label>
      </div>
      <label for={`${id}-rollout`}>
        Rollout:{' '}
        <output for={`${id}-rollout`} data-rollout-output>
          {flag.rollout}
        </output>{' '}
        % of users
      </label>
      <input id={`${id}-rollout`} name="rollout" type="range" min={0} max={100} step={1} value={flag.rollout} />
      <div class="flag-lists">
        <div>
          <label for={`${id}-allow`}>Always on for (user ids, one per line)</label>
          <textarea id={`${id}-allow`} name="allow" rows={2}>
            {lines(flag.allow)}
          </textarea>
        </div>
        <div>
          <label for={`${id}-deny`}>Always off for (beats the allow list)</label>
          <textarea id={`${id}-deny`} name="deny" rows={2}>
            {lines(flag.deny)}
          </textarea>
        </div>
      </div>
    </>
  );
}

/**
 * The flags panel of /admin: every flag as a form (toggle, rollout slider, allow and deny lists),
 * a form for a new flag, and the latest changes from the audit log. Plain form controls with
 * labels, so it works by keyboard; FLAGS_SCRIPT sends each form to PUT/DELETE /api/v1/admin/flags.
 */
export function FlagsPanel({ data }: { data: FlagsPanelData | null }) {
  return (
    <section aria-labelledby="flags-h">
      <h2 id="flags-h">Feature flags</h2>
      <p>
        Changes reach every isolate within seconds (docs/architecture.md#feature-flags). Toggling “Enabled” saves at once; other fields save
        with their button. Every change is audited.
      </p>
      <p class="flag-status" role="status" aria-live="polite" data-flag-status />
      {data === null ? (
        <p class="notice" role="status">
          The flag store (D1) did not answer; reload to try again.
        </p>
      ) : (
        <>
          {data.flags.length === 0 ? <p>No flags yet: create one below.</p> : null}
          {data.flags.map((flag) => (
            <form key={flag.key} class="flag" data-flag-form data-key={flag.key} aria-labelledby={`flag-${flag.key}-h`}>
              <h3 id={`flag-${flag.key}-h`}>
                <code>{flag.key}</code>
              </h3>
              <p class="flag-meta">
                Last changed by <strong>{flag.updatedBy}</strong> at <time dateTime={flag.updatedAt}>{flag.updatedAt}</time>
              </p>
              <FlagFields id={`flag-${flag.key}`} flag={flag} />
              <div class="flag-actions">
                <button type="submit">Save {flag.key}</button>
                <button type="button" data-flag-delete>
                  Delete {flag.key}
                </button>
              </div>
            </form>
          ))}
          <form class="flag" data-flag-form data-new aria-labelledby="flag-new-h">
            <h3 id="flag-new-h">New flag</h3>
            <label for="flag-new-key">Key (a lowercase letter, then lowercase letters, digits or “-”)</label>
            <input id="flag-new-key" name="key" type="text" required pattern="[a-z][a-z0-9\-]{1,63}" autocomplete="off" />
            <FlagFields id="flag-new" flag={{ description: '', enabled: false, rollout: 0, allow: [], deny: [] }} />
            <div class="flag-actions">
              <button type="submit">Create flag</button>
            </div>
          </form>
          <table>
            <caption>Latest flag changes (from the audit log)</caption>
            <thead>
              <tr>
                <th scope="col">Flag</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody data-flag-history>
              {data.history.map((h) => (
                <tr key={h.id}>
                  <td>
                    <code>{h.key}</code>
                  </td>
                  <td>
                    <time dateTime={h.at}>{h.at.replace('T', ' ').slice(0, 19)}</time>
                  </td>
                  <td>{h.actor}</td>
                  <td>
                    {h.change}: {h.summary}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** The panel's styles, appended to the dashboard's; colours keep WCAG AA contrast on white. */
export const FLAGS_STYLE = `
.flag { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; margin: 0 0 .75rem; display: grid; gap: .35rem; }
.flag h3 { margin: 0; font-size: 1rem; } .flag-meta { margin: 0; color: #4a5563; font-size: .85rem; }
.flag input[type=text], .flag textarea { font: inherit; width: 100%; box-sizing: border-box; }
.flag input[type=range] { width: 100%; max-width: 24rem; }
.flag-row { display: flex; gap: .4rem; align-items: center; }
.flag-lists { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .5rem; }
.flag-actions { display: flex; flex-wrap: wrap; gap: .5rem; }
.flag button { font: inherit; padding: .3rem .8rem; }
.flag :focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.flag-status:empty { display: none; }
.flag-status { background: #eef4ff; border: 1px solid #0b57d0; padding: .5rem; border-radius: 6px; }
`;
