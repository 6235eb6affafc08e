/**
 * The control socket as a raw client sees it: one JSON line in, one out; a malformed request is
 * answered cleanly and nothing of it reaches the log (it may hold a password).
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import t from 'tap';
import { startApp } from '../../src/app.js';
import { controlSocketPath } from '../../src/config/paths.js';
import { createLogger } from '../../src/log.js';
import { shortTempDir, writeTestConfig } from '../support/app.js';

function exchange(path: string, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.includes('\n')) {
        socket.end();
        resolve(JSON.parse(buffer.slice(0, buffer.indexOf('\n'))));
      }
    });
    socket.on('error', reject);
  });
}

t.test('malformed and unknown requests get clean answers; no secret reaches the log', async (t) => {
  let logged = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const { config } = writeTestConfig(shortTempDir(t));
  const app = await startApp(config, createLogger({ level: 'info', destination }));
  t.teardown(() => app.close());
  const path = controlSocketPath(config);

  t.same(await exchange(path, '{"op":"user.add","args":{"address":"a@b.test","password":"hunter2-secret"'), {
    id: null,
    ok: false,
    error: 'the request is not valid JSON',
  });
  t.same(await exchange(path, JSON.stringify({ id: 7, op: 'frobnicate', args: {} })), {
    id: 7,
    ok: false,
    error: 'unknown operation: frobnicate',
  });
  t.same(await exchange(path, JSON.stringify({ id: 8, op: 'domain.add', args: { domain: 'example.test' } })), {
    id: 8,
    ok: true,
    result: null,
  });
  t.notMatch(logged, 'hunter2', 'the password in the malformed request is not logged');
  t.match(logged, /"evt":"control.op","op":"\(unparsable\)","ok":false/);
});
