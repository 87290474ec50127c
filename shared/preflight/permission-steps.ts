// The permission part of the report: admin consent, then per workload what works, what is missing by name and for
// which purpose, then what is granted and never used. Pure: built from the token's roles and the workload table.
import { checkPermissions, isAvailable, leastPrivileged, PURPOSES, PurposeCheck, WorkloadCheck } from './permissions';
import { PreflightStep, step } from './report';

const consentFix = (permissions: string[]): string =>
  `In Microsoft Entra admin center → App registrations → the app → API permissions, add the Microsoft Graph application permissions ${permissions.join(', ')} and select "Grant admin consent" (a Global or Privileged Role Administrator). New tokens carry them; run the preflight again.`;

const describe = (p: PurposeCheck): string =>
  p.missing.length ? `${p.purpose}: missing ${p.missing.join(', ')}` : `${p.purpose}: works (${p.granted.join(', ')})`;

function workloadStep(c: WorkloadCheck, jobsSendReports: boolean): PreflightStep {
  const w = c.workload;
  const missing = [...new Set(c.purposes.flatMap((p) => p.missing))];
  const title = `Permissions for ${w.name}`;
  const detail = [
    ...c.purposes.filter((p) => p.needed.length).map(describe),
    ...PURPOSES.flatMap((p) => (w.none?.[p] ? [w.none[p]] : [])),
  ].join('; ');
  const more = { workload: w.id, detail };
  if (!missing.length) return step(`permissions.${w.id}`, title, 'passed', more);
  const fix = consentFix(missing);
  const permissions = missing;
  if (!isAvailable(w))
    return step(`permissions.${w.id}`, title, 'warning', {
      ...more,
      permissions,
      cause: `${w.name} are not backed up by this version yet; once they are, they need ${missing.join(', ')}.`,
      fix,
    });
  if (w.onlyWhen && !jobsSendReports)
    return step(`permissions.${w.id}`, title, 'skipped', {
      ...more,
      permissions,
      cause: `Needed only when ${w.onlyWhen}; no job of this account does.`,
    });
  const blocking = c.purposes.filter((p) => p.purpose !== 'restore' && p.missing.length);
  return step(`permissions.${w.id}`, title, blocking.length ? 'failed' : 'warning', {
    ...more,
    code: 'graph.permissionMissing',
    permissions,
    cause: blocking.length
      ? `${w.name} cannot be ${blocking.map((p) => (p.purpose === 'discovery' ? 'discovered' : 'backed up')).join(' or ')}: the application lacks ${blocking.flatMap((p) => p.missing).join(', ')}.`
      : `Backups of ${w.name} work, but restoring them fails: the application lacks ${missing.join(', ')}.`,
    fix,
  });
}

export function permissionSteps(roles: readonly string[], jobsSendReports: boolean): PreflightStep[] {
  const check = checkPermissions(roles);
  const steps: PreflightStep[] = [];
  const consentTitle = 'Admin consent granted (the token carries application permissions)';
  steps.push(
    check.noRoles
      ? step('permissions.consent', consentTitle, 'failed', {
          code: 'permissions.noConsent',
          cause:
            'The token carries no application permissions: admin consent was not granted, or only delegated permissions were added (the product signs in without a user and uses application permissions only).',
          fix: consentFix(leastPrivileged(PURPOSES)),
        })
      : step('permissions.consent', consentTitle, 'passed', {
          detail: `${roles.length} application permission(s): ${[...roles].sort().join(', ')}.`,
        }),
  );
  steps.push(...check.workloads.map((c) => workloadStep(c, jobsSendReports)));
  const unusedTitle = 'No permission granted beyond what the product uses';
  steps.push(
    check.unused.length
      ? step('permissions.unused', unusedTitle, 'warning', {
          code: 'permissions.unused',
          permissions: check.unused,
          cause: `Granted but used by no operation of the product: ${check.unused.join(', ')}.`,
          fix: 'Remove them under API permissions (least privilege): a leaked credential then exposes less.',
        })
      : step('permissions.unused', unusedTitle, 'passed'),
  );
  return steps;
}
