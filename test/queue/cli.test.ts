import t from 'tap';
import { newMessageId } from '../../src/pipeline/message-id.js';
import { cli, startTestServer } from '../support/app.js';
import { closedPort, sampleRaw } from './helpers.js';

t.test('bridgehead queue list|show|retry|flush|delete, through the control socket and offline', async (t) => {
  const port = await closedPort();
  const server = await startTestServer(t, undefined, {
    mailauth: { enabled: false },
    dns: { staticOnly: true },
    routes: { 'remote.test': { host: '127.0.0.1', port, tls: 'none' } },
  });
  const config = ['--config', server.configPath];
  const { queue } = server.app;
  const store = server.app.store;

  const queueOne = async (to: string) => {
    const id = newMessageId();
    const delivery = queue.target.start({ id, from: 'alice@example.test', source: 'submission', user: 'alice@example.test', dsn: { ret: null, envid: null }, receivedAt: Date.now() });
    await delivery.addRecipient({ address: to, dsn: { notify: null, orcpt: null } });
    await delivery.body(sampleRaw());
    await delivery.commit();
    return id;
  };
  const attempts = () => new Promise<void>((resolve) => {
    const listener = (event: { type: string }) => {
      if (event.type === 'deferred') {
        queue.events.off('queue', listener);
        resolve();
      }
    };
    queue.events.on('queue', listener);
  });

  t.match(await cli(['queue', 'list', ...config]), { code: 0, stdout: 'queue is empty\n' });
  let deferred = attempts();
  const first = await queueOne('bob@remote.test');
  await deferred;
  deferred = attempts();
  const second = await queueOne('carol@remote.test');
  await deferred;

  const list = await cli(['queue', 'list', ...config]);
  t.equal(list.code, 0);
  t.match(list.stdout, new RegExp(`^${first}  \\d+ bytes  from <alice@example\\.test>  arrived \\S+  attempts 1  next \\S+`, 'm'));
  t.match(list.stdout, /^ {4}<bob@remote\.test>  deferred {2}.*(ECONNREFUSED|connect)/m, 'the reason is on the list');
  t.match(list.stdout, /2 messages\n$/);
  const json = JSON.parse((await cli(['queue', 'list', '--json', ...config])).stdout);
  t.same(json.entries.map((entry: { id: string }) => entry.id).sort(), [first, second].sort());

  const show = await cli(['queue', 'show', first, ...config]);
  t.match(show.stdout, `id:            ${first}`);
  t.match(show.stdout, /<bob@remote\.test>  deferred, 1 attempt\n {6}last reply: .*(ECONNREFUSED|connect)/);
  t.match(await cli(['queue', 'show', 'NOSUCHID', ...config]), { code: 1, stderr: /no queue entry NOSUCHID/ });

  const due = (await store.queue.get(first))!.nextAttemptAt;
  t.ok(due > Date.now(), 'waiting for its retry');
  deferred = attempts();
  t.match(await cli(['queue', 'retry', first, ...config]), { code: 0, stdout: `${first} rescheduled for now\n` });
  await deferred;
  t.equal((await store.queue.get(first))!.attempts, 2, 'retried at once');

  deferred = attempts();
  t.match(await cli(['queue', 'flush', ...config]), { code: 0, stdout: /^2 messages rescheduled for now\n$/ });
  await deferred;

  t.match(await cli(['queue', 'delete', first, ...config]), { code: 0, stdout: `deleted ${first} (no bounce sent)\n` });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(await store.queue.get(first), null);
  t.match(await cli(['queue', 'retry', ...config]), { code: 2, stderr: /needs a message id/ });

  await server.app.close();
  const offline = await cli(['queue', 'list', ...config]);
  t.match(offline, { code: 0, stdout: new RegExp(`^${second} `, 'm') }, 'offline: read from the store');
  t.match(await cli(['queue', 'retry', '--all', ...config]), { code: 0, stdout: /^1 message rescheduled for now\n$/ });
  t.match(await cli(['queue', 'delete', second, ...config]), { code: 0 });
  t.match(await cli(['queue', 'list', ...config]), { code: 0, stdout: 'queue is empty\n' });
});
