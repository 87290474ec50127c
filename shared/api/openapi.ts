// Builds the OpenAPI 3.1 document from the operation list; zod's own JSON Schema output describes inputs.
import { z } from 'zod';
import type { ApiOperation } from './operation';
import { errorSchema } from './operations';

type Json = Record<string, unknown>;

const schemaOf = (s: z.ZodType): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

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
                ? { content: { 'application/json': { schema: op.result ? schemaOf(op.result) : { type: 'object' } } } }
                : {}),
        },
      ]),
    ),
  };
}

export function openApiDocument(ops: readonly ApiOperation[], info: { version: string; tokenUrl?: string }): Json {
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
    paths,
    components: {
      schemas: { Error: schemaOf(errorSchema) },
      securitySchemes: {
        entra: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: info.tokenUrl ?? 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
              scopes: {},
            },
          },
        },
      },
    },
  };
}
