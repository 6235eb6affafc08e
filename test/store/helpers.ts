/**
 * Helpers for the store tests: a store in a fresh temporary folder, closed at teardown, and
 * small RFC 5322 messages.
 */
import type { Test } from 'tap';
import { openStore, type LevelStore } from '../../src/store/index.js';

export async function openTempStore(t: Test): Promise<{ store: LevelStore; path: string }> {
  const path = t.testdir();
  const store = await openStore({ path });
  t.teardown(() => store.close());
  return { store, path };
}

/** A small message with LF line endings (the store must turn them into CRLF). */
export function message(subject: string, body = 'Hello there.\n'): Buffer {
  return Buffer.from(`From: a@example.org\nTo: b@example.org\nSubject: ${subject}\n\n${body}`);
}

export async function withAccount(store: LevelStore, address = 'alice@example.org'): Promise<string> {
  await store.createAccount(address, 'hash');
  return address;
}
