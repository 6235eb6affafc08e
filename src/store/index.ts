/**
 * The mail store: the `Store` contract (types.ts), its change events, and the LevelDB
 * implementation that is the embedded default (level/). Code outside src/store imports the store
 * from here, types.ts or events.ts, never from level/ (test/architecture.test.ts checks it).
 */
export * from './types.js';
export { createStoreEvents } from './events.js';
export { LevelStore, openStore, type Change, type ChangeRecord, type LevelStoreOptions } from './level/index.js';
export type { CommitStats } from './level/committer.js';
