import { effect } from '@preact/signals';
import { isHidden, type Store } from '../signal-store';
import { THEME_COOKIE } from './actions';

/**
 * Applies the preferences that live outside the islands: the theme (on <html> and <main>, plus
 * a cookie so the next server render paints the right theme before its data arrives) and the
 * order and visibility of the section slots. Slots are moved in the DOM, not with CSS `order`,
 * so reading and focus order follow what is on screen (WCAG 2.4.3).
 */
export function applyLayout(store: Store): void {
  const main = document.getElementById('main');
  const grid = document.getElementById('sections');
  effect(() => {
    const { theme } = store.prefs.value;
    document.documentElement.dataset.theme = theme;
    if (main) main.dataset.theme = theme;
    // biome-ignore lint/suspicious/noDocumentCookie: a non-secret rendering hint; the Cookie Store API is not in every browser yet.
    document.cookie = `${THEME_COOKIE}=${theme}; Path=/; Max-Age=31536000; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
  });
  if (!grid) return;
  effect(() => {
    const { sectionOrder, hiddenSections } = store.prefs.value;
    const focused = document.activeElement as HTMLElement | null;
    let previous: Element | null = null;
    for (const name of sectionOrder) {
      const slot = grid.querySelector<HTMLElement>(`[data-slot="${name}"]`);
      if (!slot) continue;
      slot.hidden = isHidden(hiddenSections, name);
      const wanted: Element | null = previous ? previous.nextElementSibling : grid.firstElementChild;
      if (wanted !== slot) {
        const before = previous ? previous.nextSibling : grid.firstChild;
        // moveBefore keeps focus and state where supported; insertBefore re-inserts.
        const g = grid as HTMLElement & { moveBefore?: (node: Node, child: Node | null) => void };
        if (g.moveBefore) g.moveBefore(slot, before);
        else grid.insertBefore(slot, before);
      }
      previous = slot;
    }
    if (focused && document.activeElement !== focused && focused.isConnected) focused.focus({ preventScroll: false });
  });
}
