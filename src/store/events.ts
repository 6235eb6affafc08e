/**
 * The store's change notifications. Emitted only after the batch that made the change is
 * durable, in commit order, so a listener (IMAP IDLE, NOTIFY) never announces a message or flag
 * that a crash could take back. Listener errors are caught by the store and logged.
 */
import { EventEmitter } from 'node:events';
import type { StoreEvents } from './types.js';

export function createStoreEvents(): StoreEvents {
  const events = new EventEmitter();
  // Every IMAP session listens; a busy server has thousands, which is not a leak.
  events.setMaxListeners(0);
  return events as StoreEvents;
}
