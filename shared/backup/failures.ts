import { RestError } from '@azure/storage-blob';
import {
  Alarm,
  classifyAuthFailure,
  classifyGraphFailure,
  classifyStorageFailure,
  secretAlarm,
  Subject,
} from '../domain/alarms';
import { SecretUnavailable } from '../secrets/secret-source';
import type { GraphOperation } from '../domain/graph-permissions';

/** What the Graph client's errors carry; read structurally so this module depends on no client class. */
interface GraphErrorShape {
  status: number;
  code?: string;
  innerCode?: string;
  requestId?: string;
  retryAfterSeconds?: number;
}
interface AuthErrorShape {
  aadsts?: string;
  description?: string;
  name: string;
}

const isGraphError = (e: unknown): e is GraphErrorShape =>
  typeof e === 'object' && e !== null && typeof (e as GraphErrorShape).status === 'number' && !(e instanceof RestError);
const isAuthError = (e: unknown): e is AuthErrorShape =>
  e instanceof Error && (e.name === 'GraphAuthError' || /AADSTS\d+/.test(e.message));

/**
 * Turns an expected failure into an alarm, or returns undefined for an unexpected one (a bug or an outage of our own
 * stores), which the caller rethrows so the durable retry policy gets a chance.
 */
export function alarmFor(
  e: unknown,
  operation: GraphOperation,
  subject: Subject,
  grantedRoles?: string[],
): Alarm | undefined {
  if (e instanceof SecretUnavailable) return secretAlarm(e.secretName, e.reason, subject);
  if (isAuthError(e))
    return classifyAuthFailure(e.aadsts ? `AADSTS${e.aadsts}` : (e.description ?? (e as Error).message), subject);
  if (isGraphError(e)) {
    return classifyGraphFailure({
      status: e.status,
      operation,
      subject,
      ...(e.code !== undefined ? { code: e.code } : {}),
      ...(e.innerCode !== undefined ? { innerCode: e.innerCode } : {}),
      ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
      ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
      ...(grantedRoles ? { grantedRoles } : {}),
    });
  }
  if (e instanceof RestError && e.statusCode !== undefined && e.statusCode !== 404)
    return classifyStorageFailure(e.statusCode, e.code, { kind: 'repository', name: 'backup repository' });
  return undefined;
}
