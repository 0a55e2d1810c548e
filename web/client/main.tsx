/**
 * The browser entry: hydrates the islands from the data embedded in the page (never fetched
 * again), then keeps them live: the feed socket, task actions, preferences.
 */
import { hydrate } from 'preact';
import { ISLANDS } from '../islands';
import { PAGE_DATA_ID, type PageData } from '../page-data';
import { isIsland } from '../page-state';
import { createStore, StoreContext } from '../signal-store';
import { createActions, createRefresher } from './actions';
import { connectFeed } from './feed';
import { applyLayout } from './layout';

const dataElement = document.getElementById(PAGE_DATA_ID);
if (dataElement?.textContent) {
  const data = JSON.parse(dataElement.textContent) as PageData;
  const store = createStore(data);
  const refresh = createRefresher(store);
  store.actions = createActions(store, refresh);

  for (const slot of document.querySelectorAll<HTMLElement>('[data-island]')) {
    const name = slot.dataset.island ?? '';
    if (!isIsland(name)) continue;
    const Island = ISLANDS[name];
    hydrate(
      <StoreContext.Provider value={store}>
        <Island />
      </StoreContext.Provider>,
      slot,
    );
  }
  // Hydration matched the server's HTML (controls disabled); now enable them.
  store.interactive.value = true;
  document.documentElement.classList.add('hydrated');
  applyLayout(store);
  connectFeed(store, (event) => {
    if (event.type.startsWith('task.')) refresh();
  });
}
