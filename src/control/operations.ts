/**
 * Administrative operations, named once. The control socket runs them inside the server; the
 * command line runs the same table against the store when no server is running. Either way the
 * change goes through UserManager, so validation and effects are identical.
 */
import type { UserManager } from '../pipeline/users.js';

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

type Operation = (users: UserManager, args: Record<string, unknown>) => Promise<unknown>;

export const adminOperations: Record<string, Operation> = {
  'domain.add': (users, args) => users.addDomain(text(args, 'domain')),
  'domain.remove': (users, args) => users.removeDomain(text(args, 'domain')),
  'domain.list': (users) => users.listDomains(),
  'user.add': (users, args) => users.addUser(text(args, 'address'), text(args, 'password')),
  'user.passwd': (users, args) => users.setPassword(text(args, 'address'), text(args, 'password')),
  'user.remove': (users, args) => users.removeUser(text(args, 'address')),
  'user.list': (users, args) =>
    users.listUsers(typeof args.domain === 'string' && args.domain ? args.domain : undefined),
  'alias.add': (users, args) => users.addAlias(text(args, 'address'), list(args, 'targets')),
  'alias.remove': (users, args) => users.removeAlias(text(args, 'address'), list(args, 'targets')),
  'alias.list': (users) => users.listAliases(),
};

export async function runAdminOperation(users: UserManager, request: AdminRequest): Promise<unknown> {
  const operation = adminOperations[request.op];
  if (!operation) throw new AdminRequestError(`unknown operation: ${request.op}`);
  return operation(users, request.args ?? {});
}
