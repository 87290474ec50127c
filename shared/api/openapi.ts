// Builds the OpenAPI 3.1 document from the operation list; zod's own JSON Schema output describes inputs.
import { z } from 'zod';
import type { ApiOperation } from './operation';
import { errorSchema } from './operations';

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema: what a request may send (`input`), or what a response holds (`output`). */
const schemaOf = (s: z.ZodType, io: 'input' | 'output' = 'input'): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
};

/** The delegated permission (scope) the API's app registration exposes; app-only callers ask for `/.default`. */
export const API_SCOPE_NAME = 'access_as_user';

export interface DocumentInfo {
  version: string;
  /** The Entra ID authority with the API's tenant, e.g. `https://login.microsoftonline.com/<tenant-id>`. */
  authority?: string;
  /** The API's Application ID URI (or `api://<client-id>`), the prefix of its scopes. */
  applicationIdUri?: string;
  /** Where this deployment answers (its origin, without `/api`). */
  serverUrl?: string;
}

function requirement(op: ApiOperation): string {
  const role = `${op.role}${op.role === 'Backup.Reader' ? ' (or Backup.Administrator)' : ''}`;
  if (op.access === 'global') return `Requires the app role ${role}.`;
  if (op.access === 'listing') return 'Any caller; the answer holds what its app role or grants let it read.';
  return `Requires the app role ${role}, or a grant of ${op.role!.replace('Backup.', '')}${op.role === 'Backup.Reader' ? ' or Administrator' : ''} on the account.`;
}

function operationObject(op: ApiOperation): Json {
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = op.query
    ? Object.entries((schemaOf(op.query).properties ?? {}) as Record<string, Json>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: ((schemaOf(op.query!).required ?? []) as string[]).includes(name),
        schema,
      }))
    : [];
  const success = Object.keys(op.responses)
    .map(Number)
    .find((c) => c < 300);
  return {
    operationId: op.id,
    summary: op.summary,
    ...(op.role
      ? {
          security: [{ entra: [] }],
          'x-required-role': op.role,
          ...(op.access ? { 'x-access': op.access } : {}),
          description: requirement(op),
        }
      : { security: [] }),
    parameters: [...pathParams, ...query],
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body) } } } }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([code, text]) => [
        code,
        {
          description: text,
          ...(Number(code) >= 400
            ? { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
            : Number(code) === success && op.produces
              ? {
                  content: Object.fromEntries(
                    op.produces.split(',').map((t) => [t.trim(), { schema: { type: 'string', format: 'binary' } }]),
                  ),
                }
              : Number(code) === success && Number(code) !== 204
                ? { content: { 'application/json': { schema: schemaOf(op.result ?? NO_RESULT, 'output') } } }
                : {}),
        },
      ]),
    ),
  };
}

/** The document's `servers`: where this deployment answers (its paths begin with /api). */
export const serversAt = (url: string): Json[] => [{ url, description: 'this deployment (paths begin with /api)' }];

/** An operation without a declared result (a test requires one for every JSON success). */
const NO_RESULT = z.looseObject({});

export function openApiDocument(ops: readonly ApiOperation[], info: DocumentInfo): Json {
  // Unconfigured (the API then refuses every call): Entra's endpoint for any work account, still a valid URL.
  const authority = info.authority ?? 'https://login.microsoftonline.com/organizations';
  const appIdUri = info.applicationIdUri ?? 'api://{api-client-id}';
  const paths: Record<string, Json> = {};
  for (const op of ops)
    paths[`/api${op.path}`] = { ...(paths[`/api${op.path}`] ?? {}), [op.method.toLowerCase()]: operationObject(op) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'm365-vault',
      version: info.version,
      description:
        'Serverless Microsoft 365 backup: accounts, jobs, recovery points, browse, search, download and restore. Every call but /health and /openapi.json needs an Entra ID bearer token for the API app with the role named on the operation.',
    },
    servers: serversAt(info.serverUrl ?? '/'),
    paths,
    components: {
      schemas: { Error: schemaOf(errorSchema) },
      securitySchemes: {
        entra: {
          type: 'oauth2',
          description:
            "Microsoft Entra ID. People sign in with the authorization-code flow and PKCE (S256; a public client such as a single-page app or the Azure CLI), asking for the API's scope; automation uses client credentials with `/.default`. Either way the token's roles (Backup.Reader, Backup.Administrator) or the caller's per-account grants decide what it may do.",
          'x-usePkce': 'SHA-256',
          flows: {
            authorizationCode: {
              authorizationUrl: `${authority}/oauth2/v2.0/authorize`,
              tokenUrl: `${authority}/oauth2/v2.0/token`,
              scopes: { [`${appIdUri}/${API_SCOPE_NAME}`]: 'Call the m365-vault API as the signed-in user' },
            },
            clientCredentials: {
              tokenUrl: `${authority}/oauth2/v2.0/token`,
              scopes: { [`${appIdUri}/.default`]: 'The app roles granted to the calling application' },
            },
          },
        },
      },
    },
  };
}
