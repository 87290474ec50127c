import type { HttpRequest } from '@azure/functions';
import { clientIpOf } from '../../shared/audit/audit-log';

/** The caller's address for an audit record, when the request carries one. */
export const clientIp = (req: HttpRequest): { clientIp?: string } => {
  const v = clientIpOf(req.headers.get('x-forwarded-for'));
  return v ? { clientIp: v } : {};
};
