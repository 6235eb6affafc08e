/**
 * A Thunderbird profile made without the account wizard: the preferences the wizard would
 * write for one IMAPS + SMTPS account (accountcreation/CreateInBackend.sys.mjs in Thunderbird's
 * omni.ja), plus preferences that keep a fresh profile from opening first-run tabs and dialogs
 * that would cover the window in screenshots.
 *
 * The server certificate is trusted by importing it into the profile's NSS database (cert9.db)
 * with the peer trust flag `P`, which is what "Confirm Security Exception" achieves for one
 * certificate. The password is stored in the login manager by Marionette (see run.ts), under the
 * origin and realm Thunderbird looks up: `imap://<host>` and `smtp://<host>`
 * (MsgIncomingServer.sys.mjs `_getPasswordWithoutUI`, SmtpServer.sys.mjs).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AccountSettings {
  host: string;
  imapsPort: number;
  smtpsPort: number;
  address: string;
  fullName: string;
}

/** Preferences present in every run, seed run included: Marionette and no first-run noise. */
export function basePrefs(): Record<string, string | number | boolean> {
  return {
    'marionette.port': 0,
    'remote.prefs.recommended': false,
    'mail.shell.checkDefaultClient': false,
    'mail.rights.version': 1,
    'mailnews.start_page.enabled': false,
    'mail.provider.enabled': false,
    'mail.startup.enabledMailCheckOnce': true,
    'mail.spotlight.firstRunDone': true,
    'mail.winsearch.firstRunDone': true,
    'app.donation.eoy.version.viewed': 999,
    'app.update.disabledForTesting': true,
    'app.update.auto': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.policy.dataSubmissionPolicyBypassNotification': true,
    'datareporting.healthreport.uploadEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'extensions.update.enabled': false,
    'mail.biff.show_alert': false,
    'mail.biff.play_sound': false,
    'mail.biff.use_system_alert': false,
    'mail.warn_on_send_accel_key': false,
    'mail.tabs.drawInTitlebar': false,
    'calendar.integration.notify': false,
    'devtools.console.stdout.chrome': true,
    'browser.dom.window.dump.enabled': true,
    'mailnews.smtp.loglevel': 'All',
  };
}

/**
 * The account: IMAP over implicit TLS (socketType 3) with a normal password (authMethod 3),
 * offline download on (Thunderbird's default), periodic new-mail checks OFF so that new mail can
 * only appear through IDLE; SMTP over implicit TLS; the Sent/Drafts/Templates folders on the
 * server, as the wizard sets them.
 */
export function accountPrefs(account: AccountSettings): Record<string, string | number | boolean> {
  const serverUri = `imap://${encodeURIComponent(account.address)}@${account.host}`;
  return {
    'mail.accountmanager.accounts': 'account1,account2',
    'mail.accountmanager.defaultaccount': 'account1',
    'mail.accountmanager.localfoldersserver': 'server2',
    'mail.account.account1.identities': 'id1',
    'mail.account.account1.server': 'server1',
    'mail.account.account2.server': 'server2',
    'mail.server.server1.type': 'imap',
    'mail.server.server1.hostname': account.host,
    'mail.server.server1.port': account.imapsPort,
    'mail.server.server1.socketType': 3,
    'mail.server.server1.authMethod': 3,
    'mail.server.server1.userName': account.address,
    'mail.server.server1.name': account.address,
    'mail.server.server1.directory-rel': `[ProfD]ImapMail/${account.host}`,
    'mail.server.server1.login_at_startup': true,
    'mail.server.server1.check_new_mail': false,
    'mail.server.server1.offline_download': true,
    'mail.server.server1.valid': true,
    'mail.server.server2.type': 'none',
    'mail.server.server2.hostname': 'Local Folders',
    'mail.server.server2.userName': 'nobody',
    'mail.server.server2.name': 'Local Folders',
    'mail.server.server2.directory-rel': '[ProfD]Mail/Local Folders',
    'mail.identity.id1.fullName': account.fullName,
    'mail.identity.id1.useremail': account.address,
    'mail.identity.id1.smtpServer': 'smtp1',
    'mail.identity.id1.valid': true,
    'mail.identity.id1.compose_html': false,
    'mail.identity.id1.fcc': true,
    'mail.identity.id1.fcc_folder': `${serverUri}/Sent`,
    'mail.identity.id1.fcc_folder_picker_mode': '0',
    'mail.identity.id1.draft_folder': `${serverUri}/Drafts`,
    'mail.identity.id1.drafts_folder_picker_mode': '0',
    'mail.identity.id1.stationery_folder': `${serverUri}/Templates`,
    'mail.identity.id1.tmpl_folder_picker_mode': '0',
    'mail.smtpservers': 'smtp1',
    'mail.smtp.defaultserver': 'smtp1',
    'mail.smtpserver.smtp1.type': 'smtp',
    'mail.smtpserver.smtp1.hostname': account.host,
    'mail.smtpserver.smtp1.port': account.smtpsPort,
    'mail.smtpserver.smtp1.try_ssl': 3,
    'mail.smtpserver.smtp1.authMethod': 3,
    'mail.smtpserver.smtp1.username': account.address,
    'mail.smtpserver.smtp1.description': 'Bridgehead',
  };
}

/** Writes `user.js` (read at every start, overriding prefs.js) with these preferences. */
export function writeUserJs(profileDir: string, prefs: Record<string, string | number | boolean>): void {
  mkdirSync(profileDir, { recursive: true });
  const lines = Object.entries(prefs).map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`);
  writeFileSync(join(profileDir, 'user.js'), `${lines.join('\n')}\n`);
}

/**
 * Creates the profile's NSS database (empty primary password) and trusts `certPath` as a peer
 * certificate for TLS servers: Thunderbird then connects without a certificate warning.
 */
export function trustCertificate(profileDir: string, certPath: string): void {
  mkdirSync(profileDir, { recursive: true });
  const db = `sql:${profileDir}`;
  execFileSync('certutil', ['-N', '-d', db, '--empty-password'], { stdio: 'pipe' });
  execFileSync('certutil', ['-A', '-d', db, '-n', 'bridgehead', '-t', 'P,,', '-i', certPath], { stdio: 'pipe' });
}
