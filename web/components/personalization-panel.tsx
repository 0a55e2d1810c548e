import { type Personalization, SECTION_TITLES, type SectionName, THEME_CHOICES, type Theme } from '../page-data';
import type { SectionState } from '../signal-store';
import { Section, SkeletonLines } from './section';

export interface PersonalizationPanelProps {
  state: SectionState<Personalization>;
  degraded: boolean;
  /** Undefined until hydrated: the controls are disabled in server-rendered HTML. */
  onChange?: (patch: Partial<Personalization>) => void;
  saving?: boolean;
  /** Why the last change was rolled back, announced to assistive technology. */
  message?: string | null;
}

export const LOCALES: Record<string, string> = {
  'en-US': 'English (US)',
  'en-GB': 'English (UK)',
  'de-DE': 'Deutsch',
  'fr-FR': 'Français',
  'es-ES': 'Español',
  'ja-JP': '日本語',
};

export const TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Paris',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
];

const THEME_TEXT: Record<Theme, string> = { system: 'Match system', light: 'Light', dark: 'Dark' };

const isDefault = (p: Personalization) => p.theme === 'system' && p.hiddenSections.length === 0 && p.locale === 'en-US';

function move(order: readonly SectionName[], name: SectionName, by: -1 | 1): SectionName[] {
  const next = [...order];
  const i = next.indexOf(name);
  const j = i + by;
  if (i < 0 || j < 0 || j >= next.length) return next;
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

export function PersonalizationPanel({ state, degraded, onChange, saving, message }: PersonalizationPanelProps) {
  const disabled = !onChange;
  return (
    <Section
      name="personalization"
      state={state}
      degraded={degraded}
      skeleton={<SkeletonLines count={6} />}
      isEmpty={() => false}
      empty={null}
      aside={
        <p class="inline-status" role="status">
          {saving ? 'Saving…' : ''}
        </p>
      }
    >
      {(p) => (
        <form class="prefs" onSubmit={(e) => e.preventDefault()}>
          <p class="inline-alert" role="alert">
            {message}
          </p>
          {isDefault(p) && <p class="muted">You are using the default settings. Changes apply at once and are saved for next time.</p>}
          <fieldset class="theme-choice">
            <legend>Theme</legend>
            {THEME_CHOICES.map((t) => (
              <label key={t} class="radio">
                <input
                  type="radio"
                  name="theme"
                  value={t}
                  checked={p.theme === t}
                  disabled={disabled}
                  onChange={() => onChange?.({ theme: t })}
                />
                {THEME_TEXT[t]}
              </label>
            ))}
          </fieldset>
          <div class="field-row">
            <label class="field">
              <span>Language for dates</span>
              <select value={p.locale} disabled={disabled} onChange={(e) => onChange?.({ locale: e.currentTarget.value })}>
                {(p.locale in LOCALES ? [] : [p.locale]).concat(Object.keys(LOCALES)).map((l) => (
                  <option key={l} value={l} selected={l === p.locale}>
                    {LOCALES[l] ?? l}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>Time zone</span>
              <select value={p.timeZone} disabled={disabled} onChange={(e) => onChange?.({ timeZone: e.currentTarget.value })}>
                {(TIME_ZONES.includes(p.timeZone) ? [] : [p.timeZone]).concat(TIME_ZONES).map((z) => (
                  <option key={z} value={z} selected={z === p.timeZone}>
                    {z.replace('_', ' ')}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset>
            <legend>Sections</legend>
            <ol class="section-order">
              {p.sectionOrder.map((name, i) => {
                const title = SECTION_TITLES[name];
                const shown = !p.hiddenSections.includes(name);
                return (
                  <li key={name}>
                    {name === 'personalization' ? (
                      <span class="section-name">{title}</span>
                    ) : (
                      <label class="check">
                        <input
                          type="checkbox"
                          checked={shown}
                          disabled={disabled}
                          onChange={() =>
                            onChange?.({
                              hiddenSections: shown ? [...p.hiddenSections, name] : p.hiddenSections.filter((s) => s !== name),
                            })
                          }
                        />
                        {title}
                      </label>
                    )}
                    <span class="order-buttons">
                      <button
                        type="button"
                        class="btn btn-icon"
                        disabled={disabled || i === 0}
                        onClick={() => onChange?.({ sectionOrder: move(p.sectionOrder, name, -1) })}
                      >
                        <span aria-hidden="true">↑</span>
                        <span class="visually-hidden">Move {title} up</span>
                      </button>
                      <button
                        type="button"
                        class="btn btn-icon"
                        disabled={disabled || i === p.sectionOrder.length - 1}
                        onClick={() => onChange?.({ sectionOrder: move(p.sectionOrder, name, 1) })}
                      >
                        <span aria-hidden="true">↓</span>
                        <span class="visually-hidden">Move {title} down</span>
                      </button>
                    </span>
                  </li>
                );
              })}
            </ol>
          </fieldset>
        </form>
      )}
    </Section>
  );
}
