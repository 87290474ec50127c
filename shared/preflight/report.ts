// The preflight report: ordered steps, each passed, warning, failed or skipped with what was found, its cause and
// the fix; the same document over HTTP, stored with the account, and printed by the command line. It names
// permissions, ids and secret *names*, never a secret's value or a token.
import { z } from 'zod';

export const stepStatus = z.enum(['passed', 'warning', 'failed', 'skipped']);
export type StepStatus = z.infer<typeof stepStatus>;

export const preflightStep = z.object({
  id: z.string(),
  title: z.string(),
  status: stepStatus,
  /** What was found. */
  detail: z.string().optional(),
  cause: z.string().optional(),
  fix: z.string().optional(),
  /** The alarm code or AADSTS number, for support and documentation look-ups. */
  code: z.string().optional(),
  workload: z.string().optional(),
  /** Permissions missing (by name), or granted but unused. */
  permissions: z.array(z.string()).optional(),
});
export type PreflightStep = z.infer<typeof preflightStep>;

export const preflightReport = z.object({
  accountId: z.string().optional(),
  displayName: z.string().optional(),
  tenantId: z.string(),
  clientId: z.string(),
  credentialType: z.enum(['secret', 'certificate']),
  startedAt: z.iso.datetime(),
  completedAt: z.iso.datetime(),
  /** The worst step: failed, else warning, else passed. */
  status: z.enum(['passed', 'warning', 'failed']),
  steps: z.array(preflightStep),
});
export type PreflightReport = z.infer<typeof preflightReport>;

export function step(
  id: string,
  title: string,
  status: StepStatus,
  more: Omit<PreflightStep, 'id' | 'title' | 'status'> = {},
): PreflightStep {
  return { id, title, status, ...more };
}

export function overallStatus(steps: readonly PreflightStep[]): PreflightReport['status'] {
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  return steps.some((s) => s.status === 'warning') ? 'warning' : 'passed';
}

const LABEL: Record<StepStatus, string> = {
  passed: 'passed',
  warning: 'WARNING',
  failed: 'FAILED',
  skipped: 'skipped',
};

/** The report as an administrator reads it in a terminal. */
export function reportText(r: PreflightReport): string {
  const width = Math.max(...Object.values(LABEL).map((l) => l.length));
  const lines = [
    `Preflight of ${r.displayName ? `'${r.displayName}' ` : ''}(tenant ${r.tenantId}, client ${r.clientId}, ${r.credentialType}): ${LABEL[r.status]}`,
  ];
  r.steps.forEach((s, i) => {
    lines.push(`${String(i + 1).padStart(2)}. [${LABEL[s.status].padEnd(width)}] ${s.title}`);
    const indent = ' '.repeat(width + 7);
    if (s.detail) lines.push(`${indent}${s.detail}`);
    if (s.cause) lines.push(`${indent}cause: ${s.cause}`);
    if (s.fix) lines.push(`${indent}fix: ${s.fix}`);
  });
  return lines.join('\n');
}
