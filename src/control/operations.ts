/**
 * Administrative operations, named once. The control socket runs them inside the server; the
 * command line runs the same table against the store when no server is running. Either way the
 * change goes through the same services (UserManager, store, queue), so validation and effects
 * are identical.
 */
import { profileChanges } from '../pipeline/profiles.js';
import type { UserManager } from '../pipeline/users.js';
import { reportOperations } from '../audit/admin.js';
import type { Store } from '../store/types.js';
import { queueOperations, type QueueAdmin } from '../queue/admin.js';

/**
 * What the operations act on. In the server: the live store, user manager and queue; in the
 * command line with the server stopped: the same built over the store it opened (the queue
 * administration then works on the stored queue alone).
 */
export interface AdminServices {
  users: UserManager;
  store: Store;
  queue: QueueAdmin;
}

export interface AdminRequest {
  op: string;
  args: Record<string, unknown>;
}

export class AdminRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

function text(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.length === 0) throw new AdminRequestError(`missing argument: ${name}`);
  return value;
}

function list(args: Record<string, unknown>, name: string): string[] {
  const value = args[name] ?? [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AdminRequestError(`argument ${name} must be a list of strings`);
  }
  return value;
}

/** `quota`: absent to only read it, null for the configured default, 0 for no limit, else octets. */
function quotaArgument(args: Record<string, unknown>): number | null | undefined {
  const value = args.quota;
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new AdminRequestError('argument quota must be a size in octets');
  return value;
}

type Operation = (services: AdminServices, args: Record<string, unknown>) => Promise<unknown>;

export const adminOperations: Record<string, Operation> = {
  'domain.add': ({ users }, args) => users.addDomain(text(args, 'domain')),
  'domain.remove': ({ users }, args) => users.removeDomain(text(args, 'domain')),
  'domain.list': ({ users }) => users.listDomains(),
  'user.add': ({ users }, args) => users.addUser(text(args, 'address'), text(args, 'password')),
  'user.passwd': ({ users }, args) => users.setPassword(text(args, 'address'), text(args, 'password')),
  'user.remove': ({ users }, args) => users.removeUser(text(args, 'address')),
  'user.quota': ({ users }, args) => users.quota(text(args, 'address'), quotaArgument(args)),
  'user.list': ({ users }, args) =>
    users.listUsers(typeof args.domain === 'string' && args.domain ? args.domain : undefined),
  'alias.add': ({ users }, args) => users.addAlias(text(args, 'address'), list(args, 'targets')),
  'alias.remove': ({ users }, args) => users.removeAlias(text(args, 'address'), list(args, 'targets')),
  'alias.list': ({ users }) => users.listAliases(),
  'user.set': ({ users }, args) => users.profiles.set(text(args, 'address'), profileChanges(args)),
  'user.show': ({ users }, args) => users.profiles.get(text(args, 'address')),
  'audit.find': ({ store }, args) => reportOperations['audit.find'](store, args),
  'stats.get': ({ store }, args) => reportOperations['stats.get'](store, args),
  ...Object.fromEntries(
    Object.entries(queueOperations).map(([name, run]): [string, Operation] => [name, ({ queue }, args) => run(queue, args)]),
  ),
};

export async function runAdminOperation(services: AdminServices, request: AdminRequest): Promise<unknown> {
  const operation = adminOperations[request.op];
  if (!operation) throw new AdminRequestError(`unknown operation: ${request.op}`);
  return operation(services, request.args ?? {});
}
