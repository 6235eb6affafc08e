/**
 * Test fixture: a real LevelDB store in a tap test directory, with local domains, accounts and
 * aliases set up through UserManager (cheap scrypt cost so tests stay fast).
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { UserManager } from '../../src/pipeline/users.js';

/** scrypt log2(N) for tests: valid hashes, milliseconds to compute. */
export const TEST_HASH_LOG_N = 4;

const testDirs = new WeakMap<Test, string>();

/** A fresh store; several per test are fine (each in its own folder of the test's testdir). */
export async function openTestStore(t: Test): Promise<Store> {
  let root = testDirs.get(t);
  if (root === undefined) {
    root = t.testdir();
    testDirs.set(t, root);
  }
  const store = await openStore({ path: await mkdtemp(join(root, 'store-')) });
  t.teardown(() => store.close());
  return store;
}

export interface Population {
  domains?: string[];
  users?: Array<[address: string, password: string]>;
  aliases?: Array<[address: string, targets: string[]]>;
}

export async function populate(store: Store, population: Population): Promise<UserManager> {
  const users = new UserManager(store, { passwordHashLogN: TEST_HASH_LOG_N });
  for (const domain of population.domains ?? []) await users.addDomain(domain);
  for (const [address, password] of population.users ?? []) await users.addUser(address, password);
  for (const [address, targets] of population.aliases ?? []) await users.addAlias(address, targets);
  return users;
}

/** The stored messages of an account's INBOX, in UID order, with their blob ids. */
export async function inbox(store: Store, account: string): Promise<Array<{ blobId: string; raw: Buffer }>> {
  const mailbox = await store.getMailbox(account, 'INBOX');
  if (!mailbox) throw new Error(`no INBOX for ${account}`);
  const messages = await store.listMessages(mailbox.id);
  return Promise.all(messages.map(async (meta) => ({ blobId: meta.blobId, raw: await store.readBlob(meta.blobId, 'full') })));
}
