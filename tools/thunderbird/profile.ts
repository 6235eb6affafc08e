/**
 * A Thunderbird profile made without the account wizard: the preferences the wizard would
 * write for one IMAPS + SMTPS account (accountcreation/CreateInBackend.sys.mjs in Thunderbird's
 * omni.ja), plus preferences that keep a fresh profile from opening first-run tabs and dialogs
 * that would cover the window in screenshots.
 *
 * The certificate exception and the password are not preferences: run.ts stores them through
 * Marionette in a short seed run (a trusted-peer entry in cert9.db does not help: mozilla::pkix
 * still refuses a self-signed end-entity certificate with MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT,
 * only an override passes it). The password goes under the origin and realm Thunderbird looks
 * up: `imap://<host>` and `smtp://<host>` (MsgIncomingServer.sys.mjs `_getPasswordWithoutUI`,
 * SmtpServer.sys.mjs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AccountSettings {
  host: string;
  imapPort: number;
  smtpPort: number;
  /** nsMsgSocketType: 3 = SSL/TLS from the first byte, 2 = STARTTLS. */
  socketType: 2 | 3;
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
 * The account: IMAP and SMTP over TLS (implicit, or STARTTLS) with a normal password
 * (authMethod 3), offline download on (Thunderbird's default), periodic new-mail checks OFF so
 * that new mail can only appear through IDLE; the Sent/Drafts/Templates folders on the server,
 * as the wizard sets them.
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
    'mail.server.server1.port': account.imapPort,
    'mail.server.server1.socketType': account.socketType,
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
    'mail.smtpserver.smtp1.port': account.smtpPort,
    'mail.smtpserver.smtp1.try_ssl': account.socketType,
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
