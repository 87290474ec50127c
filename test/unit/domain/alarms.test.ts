import { classifyAuthFailure, classifyGraphFailure, classifyStorageFailure } from '../../../shared/domain/alarms';
import { missingPermission } from '../../../shared/domain/graph-permissions';

const mailbox = { kind: 'mailbox' as const, name: 'adele@contoso.example' };

describe('Graph failure classification', () => {
  it('names the missing permission from the token roles', () => {
    const a = classifyGraphFailure({
      status: 403,
      code: 'ErrorAccessDenied',
      operation: 'mail.read',
      subject: mailbox,
      grantedRoles: ['User.Read.All', 'Files.Read.All'],
    });
    expect(a).toMatchObject({
      code: 'graph.permissionMissing',
      permission: 'Mail.Read',
      severity: 'error',
      transient: false,
    });
    expect(a.message).toContain("mailbox 'adele@contoso.example'");
    expect(a.message).toContain('Mail.Read');
    expect(a.fix).toMatch(/admin consent/);
  });
  it('blames an access policy when the permission is granted', () => {
    const a = classifyGraphFailure({
      status: 403,
      code: 'ErrorAccessDenied',
      operation: 'mail.read',
      subject: mailbox,
      grantedRoles: ['Mail.ReadWrite'],
    });
    expect(a.code).toBe('graph.accessDenied');
    expect(a.fix).toMatch(/application access policy/i);
  });
  it('accepts any sufficient permission and otherwise asks for the least privileged one', () => {
    expect(missingPermission('files.read', ['Sites.Read.All'])).toBeUndefined();
    expect(missingPermission('mail.write', ['Mail.Read'])).toBe('Mail.ReadWrite');
  });
  it('recognises throttling with its duration, as transient', () => {
    const a = classifyGraphFailure({
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 30,
      operation: 'mail.read',
      subject: mailbox,
    });
    expect(a).toMatchObject({ code: 'graph.throttled', transient: true, retryAfterSeconds: 30, severity: 'warning' });
    expect(a.message).toContain('30 s');
  });
  it('recognises a locked site and says how to unlock it', () => {
    const a = classifyGraphFailure({
      status: 423,
      code: 'notAllowed',
      operation: 'files.read',
      subject: { kind: 'site', name: 'Finance', url: 'https://contoso.sharepoint.com/sites/finance' },
    });
    expect(a.code).toBe('site.locked');
    expect(a.message).toContain(
      "Access to the site https://contoso.sharepoint.com/sites/finance for the site 'Finance' has been blocked",
    );
    expect(a.message).toContain('Please contact your Microsoft 365 administrator');
    // The exact steps, with the tenant's admin URL and the site's own URL filled in.
    expect(a.fix).toContain('Install-Module -Name Microsoft.Online.SharePoint.PowerShell');
    expect(a.fix).toContain('Connect-SPOService -Url "https://contoso-admin.sharepoint.com"');
    expect(a.fix).toContain(
      'Get-SPOSite -Identity "https://contoso.sharepoint.com/sites/finance" | Select-Object Url, LockState',
    );
    expect(a.fix).toContain('Set-SPOSite -Identity "https://contoso.sharepoint.com/sites/finance" -LockState Unlock');
    expect(a.fix).toContain(
      'Set-SPOSiteArchiveState -Identity "https://contoso.sharepoint.com/sites/finance" -ArchiveState Active',
    );
    expect(a.fix).toContain('Get-SPOSite -Filter {LockState -eq "NoAccess"} | Set-SPOSite -LockState Unlock');
    expect(a.fix).toContain('site-closure');
  });
  it('names a read-only site with its URL and the same unlock steps; a OneDrive URL gives the same admin URL', () => {
    const a = classifyGraphFailure({
      status: 403,
      code: 'accessDenied',
      innerCode: 'serviceReadOnly',
      operation: 'files.write',
      subject: { kind: 'onedrive', name: 'Adele Vance', url: 'https://contoso-my.sharepoint.com/personal/adele' },
    });
    expect(a.code).toBe('site.readOnly');
    expect(a.message).toContain('https://contoso-my.sharepoint.com/personal/adele');
    expect(a.fix).toContain('Connect-SPOService -Url "https://contoso-admin.sharepoint.com"');
    expect(a.fix).toContain(
      'Set-SPOSite -Identity "https://contoso-my.sharepoint.com/personal/adele" -LockState Unlock',
    );
    expect(a.fix).toContain('{LockState -eq "ReadOnly"}');
    const unnamed = classifyGraphFailure({ status: 423, code: 'notAllowed', operation: 'files.read' });
    expect(unnamed.fix).toContain('Connect-SPOService -Url "https://<your-tenant>-admin.sharepoint.com"');
    expect(unnamed.fix).toContain('Get-SPOSite -Identity "<SiteURL>"');
  });
  it('recognises an unlicensed mailbox and an inaccessible OneDrive', () => {
    expect(
      classifyGraphFailure({
        status: 404,
        code: 'MailboxNotEnabledForRESTAPI',
        operation: 'mail.read',
        subject: mailbox,
      }).code,
    ).toBe('mailbox.notLicensed');
    const od = classifyGraphFailure({
      status: 404,
      code: 'ResourceNotFound',
      operation: 'files.read',
      subject: { kind: 'onedrive', name: 'Adele Vance' },
    });
    expect(od.code).toBe('onedrive.inaccessible');
    expect(od.message).toBe(
      'The Adele Vance OneDrive is inaccessible. Make sure the OneDrive is available. If it was deleted, edit the job and remove this OneDrive.',
    );
  });
  it('treats an expired delta token as a resync, not a failure', () => {
    expect(
      classifyGraphFailure({ status: 410, code: 'SyncStateNotFound', operation: 'mail.read', subject: mailbox }),
    ).toMatchObject({ code: 'graph.resyncRequired', severity: 'info' });
  });
});

describe('sign-in failure classification', () => {
  it.each([
    ['AADSTS90002: Tenant not found', 'auth.unknownTenant'],
    ['AADSTS700016: Application with identifier was not found', 'auth.unknownApplication'],
    ['AADSTS7000215: Invalid client secret provided.', 'auth.badSecret'],
    ['AADSTS7000222: The provided client secret keys are expired.', 'auth.secretExpired'],
    ['AADSTS700027: Client assertion contains an invalid signature.', 'auth.badCertificate'],
    ['AADSTS9999999: something new', 'auth.failed'],
  ])('%s → %s', (description, code) => {
    const a = classifyAuthFailure(description, { kind: 'tenant', name: 'Contoso' });
    expect(a.code).toBe(code);
    expect(a.fix.length).toBeGreaterThan(20);
  });
  it('never echoes the description, which may carry request details', () => {
    expect(classifyAuthFailure('AADSTS7000215: Invalid client secret provided. secret=abc').message).not.toContain(
      'abc',
    );
  });
});

describe('storage failure classification', () => {
  it('recognises immutability, quota, forbidden and busy', () => {
    expect(classifyStorageFailure(409, 'BlobImmutableDueToPolicy').code).toBe('storage.immutable');
    expect(classifyStorageFailure(409, 'AccountLimitExceeded').code).toBe('storage.quotaExceeded');
    expect(classifyStorageFailure(403, 'AuthorizationPermissionMismatch').code).toBe('storage.forbidden');
    expect(classifyStorageFailure(503, 'ServerBusy')).toMatchObject({ code: 'storage.unavailable', transient: true });
  });
});
