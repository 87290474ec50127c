// The description of one HTTP operation, kept beside the code that serves it: the OpenAPI document at
// /api/openapi.json is built from these, so the document cannot drift from the zod schemas that validate requests.
import type { z } from 'zod';
import type { Role } from '../api-auth/authorizer';

export interface ApiOperation {
  /** Unique, stable; used as the OpenAPI operationId. */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below `/api`, with `{name}` path parameters, e.g. `/accounts/{accountId}/restores/{restoreId}`. */
  path: string;
  summary: string;
  /** Undefined: anonymous. */
  role?: Role;
  /**
   * Who holds `role`: on an account's routes, the app role or a grant on that account (default); 'global': the app
   * role only (managing grants, adding accounts); 'listing': any caller, who sees what it may read.
   */
  access?: 'global' | 'listing';
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Status code → what it means for this operation (the error body is always `{error:{code,message}}`). */
  responses: Record<number, string>;
  /** Response body schema of the success status, where one exists. */
  result?: z.ZodType;
  /** Non-JSON success bodies (e.g. `message/rfc822`, `application/zip`, `application/octet-stream`). */
  produces?: string;
}
