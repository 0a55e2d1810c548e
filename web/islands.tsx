/**
 * The interactive parts of the page. Each island is server-rendered inside a
 * `<div data-island=name>` and hydrated alone by web/client/main.tsx; everything else on the
 * page (the shell, the system overview) ships no JavaScript.
 */
import { flagValue } from '../worker/flags/known';
import { ActionableItems } from './components/actionable-items';
import { ActivityFeed } from './components/activity-feed';
import { PersonalizationPanel } from './components/personalization-panel';
import { UserStatistics } from './components/user-statistics';
import type { IslandName } from './page-state';
import { isDegraded, useStore } from './signal-store';

function StatisticsIsland() {
  const store = useStore();
  return <UserStatistics state={store.userStatistics.value} degraded={isDegraded(store, 'userStatistics')} format={store.format.value} />;
}

function ActionsIsland() {
  const store = useStore();
  const actions = store.interactive.value ? store.actions : undefined;
  return (
    <ActionableItems
      state={store.actionableItems.value}
      degraded={isDegraded(store, 'actionableItems')}
      format={store.format.value}
      onComplete={actions?.completeTask}
      onSnooze={actions?.snoozeTask}
      pending={store.pendingTasks.value}
      message={store.taskMessage.value}
      focus={flagValue(store.flags, 'focus-card')}
      onAdd={actions?.createTask}
      note={store.addNote.value}
      undo={store.undo.value}
    />
  );
}

function FeedIsland() {
  const store = useStore();
  return (
    <ActivityFeed
      state={store.activityFeed.value}
      degraded={isDegraded(store, 'activityFeed')}
      format={store.format.value}
      connection={store.connection.value}
      fresh={store.freshEvents.value}
      taskTitles={store.taskTitles}
    />
  );
}

function SettingsIsland() {
  const store = useStore();
  const actions = store.interactive.value ? store.actions : undefined;
  return (
    <PersonalizationPanel
      state={store.personalization.value}
      degraded={isDegraded(store, 'personalization')}
      onChange={actions?.updatePreferences}
      saving={store.savingPrefs.value}
      message={store.prefsMessage.value}
    />
  );
}

export const ISLANDS: Record<IslandName, () => preact.JSX.Element> = {
  userStatistics: StatisticsIsland,
  actionableItems: ActionsIsland,
  activityFeed: FeedIsland,
  personalization: SettingsIsland,
};
