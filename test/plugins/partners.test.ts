/**
 * The example plugin end to end (plugins/partners): a restricted account can exchange mail with
 * its partners, in both directions, and is refused for anyone else with 550 5.7.1 at RCPT, on a
 * whole server with the plugin enabled in config.json.
 */
import t from 'tap';
import partners, { isPartner } from '../../plugins/partners/index.js';
import { validateSection } from '../../src/plugins/schema.js';
import { RawClient } from '../smtp/helpers.js';
import { dataFor, folderOf, startPluginServer, submitter } from './support.js';

const KID = 'kid@example.test';
const MUM = 'mum@example.test';
const STRANGER = 'stranger@example.test';
const REFUSAL = '550 5.7.1 This account may only exchange mail with approved partners';

const CONFIG = { enabled: ['partners'], partners: { restricted: [KID], partners: [MUM, '@school.example'] } };

t.test('config: defaults, lower-cased addresses, domain entries', async (t) => {
  const checked = validateSection(partners.configSchema, { restricted: ['Kid@Example.TEST'], partners: ['@school.example'] }, 'plugins.partners');
  t.same(checked, { ok: true, value: { restricted: [KID], partners: ['@school.example'], allowBounces: true, text: 'This account may only exchange mail with approved partners' } });
  t.ok(isPartner('Teacher@School.Example', ['@school.example']));
  t.notOk(isPartner('teacher@school.example.evil', ['@school.example']));
  t.notOk(isPartner('', [MUM]));
});

t.test('a restricted account mails its partner, and is refused for anyone else', async (t) => {
  const server = await startPluginServer(t, CONFIG, { users: [KID, MUM, STRANGER] });
  const kid = submitter(server, KID);

  const sent = await kid.sendMail({ from: KID, to: MUM, subject: 'hi mum', text: 'home at six' });
  t.match(sent.response, /^250 /);
  t.match((await folderOf(server.app.store, MUM))[0], /\r\nSubject: hi mum\r\n/, 'the partner got it');

  await t.rejects(kid.sendMail({ from: KID, to: STRANGER, subject: 'hello', text: 'x' }), {
    code: 'EENVELOPE',
    responseCode: 550,
    response: REFUSAL,
  });
  t.same(await folderOf(server.app.store, STRANGER), [], 'nothing reached the stranger');

  const mixed = await kid.sendMail({ from: KID, to: [MUM, STRANGER], subject: 'both', text: 'x' });
  t.same(mixed.accepted, [MUM], 'with several recipients only the partner is accepted');
  t.same(mixed.rejected, [STRANGER]);
  t.match(mixed.rejectedErrors?.[0], { response: REFUSAL });

  const free = await submitter(server, STRANGER).sendMail({ from: STRANGER, to: MUM, subject: 'not restricted', text: 'x' });
  t.match(free.response, /^250 /, 'accounts that are not restricted are not concerned');
});

t.test('mail to a restricted account: partners get through, others are refused at RCPT', async (t) => {
  const server = await startPluginServer(t, CONFIG, { users: [KID, MUM] });
  const client = await RawClient.connect(t, server.port('smtp.mx'));
  await client.reply();
  await client.command('EHLO remote.example');

  t.same(await client.command('MAIL FROM:<spammer@remote.example>'), ['250 2.1.0 Accepted']);
  t.same(await client.command(`RCPT TO:<${KID}>`), [REFUSAL]);
  t.same(await client.command(`RCPT TO:<${MUM}>`), ['250 2.1.5 Accepted'], 'other recipients of the same sender are fine');
  t.match(await client.command('RSET'), [/^250 /]);

  t.same(await client.command('MAIL FROM:<teacher@school.example>'), ['250 2.1.0 Accepted']);
  t.same(await client.command(`RCPT TO:<${KID}>`), ['250 2.1.5 Accepted'], 'a partner domain');
  t.match(await client.command('DATA'), [/^354 /]);
  client.write(dataFor('homework', 'teacher@school.example', KID));
  t.match(await client.reply(), [/^250 /]);

  t.same(await client.command('MAIL FROM:<>'), ['250 2.1.0 Accepted']);
  t.same(await client.command(`RCPT TO:<${KID}>`), ['250 2.1.5 Accepted'], 'bounces reach the account (allowBounces)');
  t.match(await client.command('RSET'), [/^250 /]);

  const inbox = await folderOf(server.app.store, KID);
  t.equal(inbox.length, 1);
  t.match(inbox[0], /\r\nSubject: homework\r\n/);
});
