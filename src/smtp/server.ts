/**
 * SMTP listeners (smtp-server): MX, submission with STARTTLS, submission with implicit TLS.
 * Thin adapters: each callback builds a SessionInfo, asks the pipeline, and turns its verdict
 * into a reply through replies.ts (STYLE.md habit 4).
 *
 * Roles:
 * - mx (RFC 5321): no AUTH at all; STARTTLS offered (RFC 3207); recipients must be local.
 * - submission (RFC 6409, port 587): STARTTLS; AUTH PLAIN/LOGIN (RFC 4954, RFC 4616) offered and
 *   accepted only once TLS is up, never on plaintext (RFC 8314 §3.3); MAIL requires AUTH (530).
 * - submissions (RFC 8314 §3.3, port 465): the same, with TLS from the first byte.
 *
 * Invariants:
 * - The 250 after DATA is sent only after the pipeline stored the message durably; it names the
 *   message id.
 * - A message over SIZE is refused with 552 5.3.4 (RFC 1870 §6.3) and never reaches the pipeline;
 *   at most maxMessageSize bytes of it are buffered.
 * - One `smtp.transaction` log line per mail transaction (from MAIL to the DATA reply, or to its
 *   abort by RSET, a new MAIL or a disconnect); auth failures logged with the username only.
 *   Never a message body or a password.
 */
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { TrafficCounter } from '../audit/events.js';
import type { Logger } from '../log.js';
import type { Authenticator } from '../pipeline/auth.js';
import { Smtp, SmtpError } from '../errors.js';
import type { Envelope, Pipeline, SessionInfo } from '../pipeline/index.js';
import type { DsnNotify } from '../store/types.js';
import { refusalOf } from '../plugins/host.js';
import { BridgeheadSmtpServer, replySummary, toReplyError } from './replies.js';

export type SmtpRole = 'mx' | 'submission' | 'submissions';

export interface SmtpListenerOptions {
  role: SmtpRole;
  host: string;
  port: number;
  /** Our name in the greeting, EHLO reply and Received headers. */
  hostname: string;
  tls: { key: Buffer; cert: Buffer };
  pipeline: Pipeline;
  auth: Authenticator;
  log: Logger;
  maxMessageSize: number;
  maxConnections: number;
  idleTimeoutMs: number;
  /** How long close() lets open sessions finish before they get 421; default 10 s. */
  closeTimeoutMs?: number;
  /** Traffic counters (src/audit): sessions, rejected connections and recipients, auth failures. */
  stats?: TrafficCounter;
}

export interface SmtpListener {
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight transactions finish within closeTimeoutMs, then closes. */
  close(): Promise<void>;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

interface Transaction {
  from: string;
  rcpts: string[];
  refusedRcpts: number;
  startedAt: number;
}

export function createSmtpListener(options: SmtpListenerOptions): SmtpListener {
  const { role, pipeline } = options;
  const pipelineRole: SessionInfo['role'] = role === 'mx' ? 'mx' : 'submission';
  // The caller may have bound proto already; role is written explicitly on each line instead of
  // bound, so that a caller's own binding of it does not appear twice.
  const log = 'proto' in options.log.bindings() ? options.log : options.log.child({ proto: 'smtp' });
  const transactions = new Map<string, Transaction>();
  /** Sessions that got the greeting; one that closes without it was refused (e.g. over maxConnections). */
  const greeted = new Set<string>();

  /**
   * AUTH exists only on submission roles, and only where passwords may travel: once the
   * connection is encrypted, or from loopback when auth.plaintextOnLoopback allows it.
   */
  const mayAuthenticate = (session: { secure: boolean; remoteAddress: string }) =>
    role !== 'mx' && options.auth.acceptsPasswords({ tls: session.secure, remoteAddress: session.remoteAddress });
  const disabledCommands = (session: { secure: boolean; remoteAddress: string }) => (mayAuthenticate(session) ? [] : ['AUTH']);

  const sessionInfo = (session: SMTPServerSession): SessionInfo => ({
    id: session.id,
    role: pipelineRole,
    remoteAddress: session.remoteAddress,
    heloName: session.hostNameAppearsAs || '',
    user: typeof session.user === 'string' ? session.user : null,
    secure: session.secure,
    tlsProtocol: session.tlsOptions ? session.tlsOptions.version : undefined,
    tlsCipher: session.tlsOptions ? session.tlsOptions.name : undefined,
  });

  const logTransaction = (session: SMTPServerSession, transaction: Transaction, result: string, extra: { size?: number; id?: string } = {}) => {
    log.info(
      {
        evt: 'smtp.transaction',
        cid: session.id,
        role,
        remote: session.remoteAddress,
        user: typeof session.user === 'string' ? session.user : null,
        from: transaction.from,
        rcpts: transaction.rcpts,
        refused: transaction.refusedRcpts,
        size: extra.size ?? null,
        id: extra.id ?? null,
        result,
        ms: Date.now() - transaction.startedAt,
      },
      'smtp transaction',
    );
  };

  /** A transaction still open when a new one starts or the connection ends was abandoned. */
  const endAbandoned = (session: SMTPServerSession) => {
    const open = transactions.get(session.id);
    if (open) {
      transactions.delete(session.id);
      logTransaction(session, open, 'aborted');
    }
  };

  const server = new BridgeheadSmtpServer({
    name: options.hostname,
    banner: 'Bridgehead',
    secure: role === 'submissions',
    key: options.tls.key,
    cert: options.tls.cert,
    minVersion: 'TLSv1.2',
    size: options.maxMessageSize,
    rejectOversized: true,
    maxRecipients: pipeline.maxRecipients,
    hideENHANCEDSTATUSCODES: false,
    // RFC 3461 on submission, where this server originates DSNs for its users' mail.
    hideDSN: role === 'mx',
    hideREQUIRETLS: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authRequiredMessage: 'Authentication required',
    // Where AUTH may be used is decided per session (disabledCommands, onAuth), loopback included.
    allowInsecureAuth: true,
    // Until onConnect has looked at the session: no AUTH.
    disabledCommands: ['AUTH'],
    maxClients: options.maxConnections,
    socketTimeout: options.idleTimeoutMs,
    closeTimeout: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    // The remote name is not trusted anyway (Received records the IP); a PTR lookup per
    // connection would only add latency.
    disableReverseLookup: true,
    logger: false,

    onConnect(session, callback) {
      session.disabledCommands = disabledCommands(session);
      log.debug({ evt: 'smtp.connect', cid: session.id, role, remote: session.remoteAddress, secure: session.secure }, 'connection');
      // Plugins' connect hooks; a refusal is sent in place of the greeting and the connection closed.
      pipeline.plugins.connect(sessionInfo(session)).then(
        (decision) => {
          const refusal = refusalOf(decision);
          if (!refusal) {
            greeted.add(session.id);
            options.stats?.count('sessions.smtp');
          }
          callback(refusal ? toReplyError(refusal) : undefined);
        },
        (error: unknown) => callback(toReplyError(error)),
      );
    },

    onSecure(_socket, session, callback) {
      session.disabledCommands = disabledCommands({ secure: true, remoteAddress: session.remoteAddress });
      callback();
    },

    onAuth(auth: SMTPServerAuthentication, session, callback) {
      const username = auth.username ?? '';
      const refuse = (reply: SmtpError, reason: string) => {
        options.stats?.count('auth.failures');
        log.warn({ evt: 'smtp.auth', cid: session.id, role, remote: session.remoteAddress, user: username, method: auth.method, result: reason }, 'authentication failed');
        callback(toReplyError(reply));
      };
      if (!mayAuthenticate(session)) return refuse(Smtp.tlsRequired(), 'no-tls');
      if ((auth.method !== 'PLAIN' && auth.method !== 'LOGIN') || typeof auth.password !== 'string') {
        return refuse(Smtp.authFailed(), 'bad-method');
      }
      // RFC 4616 §2: acting as another identity (authzid) is not supported.
      if (auth.method === 'PLAIN' && auth.authzid && auth.authcid && auth.authzid.toLowerCase() !== auth.authcid.toLowerCase()) {
        return refuse(Smtp.authFailed(), 'authzid-mismatch');
      }
      options.auth
        .authenticate(username, auth.password, { remoteAddress: session.remoteAddress, protocol: 'smtp' })
        .then((result) => {
          if (result.ok) {
            // Plugins' auth hooks see the account, never the password.
            return pipeline.plugins.auth(sessionInfo(session), result.account, auth.method).then((decision) => {
              const refusal = refusalOf(decision);
              if (refusal) return refuse(refusal, 'plugin');
              log.info({ evt: 'smtp.auth', cid: session.id, role, remote: session.remoteAddress, user: result.account, method: auth.method, result: 'ok' }, 'authenticated');
              callback(null, { user: result.account });
            });
          } else {
            refuse(result.reason === 'rate-limited' ? Smtp.authThrottled() : Smtp.authFailed(), result.reason);
          }
        })
        .catch((error: unknown) => {
          log.error({ evt: 'smtp.auth-error', cid: session.id, role, err: error }, 'authentication error');
          callback(toReplyError(error));
        });
    },

    onMailFrom(address: SMTPServerAddress, session, callback) {
      endAbandoned(session);
      const transaction: Transaction = { from: address.address, rcpts: [], refusedRcpts: 0, startedAt: Date.now() };
      pipeline.checkSender(sessionInfo(session), address.address).then(
        () => {
          transactions.set(session.id, transaction);
          callback();
        },
        (error: unknown) => {
          logUnexpected(error, session);
          logTransaction(session, transaction, replySummary(error));
          callback(toReplyError(error));
        },
      );
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      const transaction = transactions.get(session.id);
      pipeline.checkRecipient(sessionInfo(session), address.address, session.envelope.mailFrom ? session.envelope.mailFrom.address : '').then(
        () => {
          transaction?.rcpts.push(address.address);
          callback();
        },
        (error: unknown) => {
          logUnexpected(error, session);
          if (transaction) transaction.refusedRcpts++;
          options.stats?.count('rejected.recipients');
          callback(toReplyError(error));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      const transaction = transactions.get(session.id) ?? {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcpts: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        refusedRcpts: 0,
        startedAt: Date.now(),
      };
      transactions.delete(session.id);
      const chunks: Buffer[] = [];
      let size = 0;
      let oversized = false;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (oversized) return;
        if (size > options.maxMessageSize) {
          oversized = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      // The client went away in the middle of the message: nothing is delivered.
      stream.once('error', (error: Error) => {
        log.debug({ evt: 'smtp.data-error', cid: session.id, role, err: error.message }, 'message stream failed');
        logTransaction(session, transaction, 'aborted', { size });
      });
      stream.once('end', () => {
        if (oversized || stream.sizeExceeded) {
          const error = Smtp.tooBig(options.maxMessageSize);
          logTransaction(session, transaction, replySummary(error), { size });
          return callback(toReplyError(error));
        }
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          ...dsnParameters(session),
        };
        pipeline.deliver(sessionInfo(session), envelope, Buffer.concat(chunks, size)).then(
          ({ id }) => {
            logTransaction(session, transaction, 'accepted', { size, id });
            callback(null, `Message accepted, id ${id}`);
          },
          (error: unknown) => {
            logUnexpected(error, session);
            logTransaction(session, transaction, replySummary(error), { size });
            callback(toReplyError(error));
          },
        );
      });
    },

    onClose(session) {
      endAbandoned(session);
      if (!greeted.delete(session.id)) options.stats?.count('rejected.connections');
    },
  });

  /** Pipeline verdicts are SmtpErrors; anything else is a bug or an I/O failure worth a log line. */
  const logUnexpected = (error: unknown, session: SMTPServerSession) => {
    if (!(error instanceof SmtpError)) {
      log.error({ evt: 'smtp.handler-error', cid: session.id, role, err: error }, 'unexpected error in SMTP handler');
    }
  };

  if (pipeline.plugins.has('helo')) {
    server.heloCheck = async (session, heloName) => refusalOf(await pipeline.plugins.helo({ ...sessionInfo(session), heloName }, heloName));
  }

  server.on('error', (error: Error & { code?: string }) => {
    log.debug({ evt: 'smtp.connection-error', role, code: error.code, err: error.message }, 'connection error');
  });

  return {
    listen() {
      return new Promise<number>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.server.once('error', onError);
        server.listen(options.port, options.host, () => {
          server.server.off('error', onError);
          const address = server.server.address();
          const port = typeof address === 'object' && address ? address.port : options.port;
          log.info({ evt: 'smtp.listening', role, host: options.host, port }, 'SMTP listener started');
          resolve(port);
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => {
          log.info({ evt: 'smtp.closed', role }, 'SMTP listener closed');
          resolve();
        });
      });
    },
  };
}

/** RFC 3461 parameters smtp-server parsed (present only where DSN is advertised). */
function dsnParameters(session: SMTPServerSession): Pick<Envelope, 'dsn' | 'rcptDsn'> {
  const dsn = session.envelope.dsn;
  if (!dsn) return {};
  const ret = dsn.ret === 'FULL' || dsn.ret === 'HDRS' ? dsn.ret : null;
  return {
    dsn: { ret, envid: dsn.envid ?? null },
    rcptDsn: session.envelope.rcptTo.map((rcpt) => {
      const notify = rcpt.dsn?.notify;
      const values = Array.isArray(notify) ? notify.map((value) => value.toUpperCase()) : [];
      return {
        notify: values.length === 0 ? null : values.includes('NEVER') ? 'NEVER' : (values.filter((value) => value === 'SUCCESS' || value === 'FAILURE' || value === 'DELAY') as DsnNotify[]),
        orcpt: rcpt.dsn?.orcpt ?? null,
      };
    }),
  };
}
