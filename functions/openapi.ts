// GET /api/openapi.json (anonymous): the API described from the same operation list and zod schemas it validates with.
import { app } from '@azure/functions';
import { API_OPERATIONS } from '../shared/api/operations';
import { openApiDocument, serversAt } from '../shared/api/openapi';
import { services } from '../shared/runtime/services';

let document: Record<string, unknown> | undefined;

app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req) => {
    const s = services().settings;
    const audiences = (s.M365V_API_AUDIENCE ?? '').split(',').map((a) => a.trim());
    const uri = audiences.find((a) => a.startsWith('api://')) ?? (audiences[0] ? `api://${audiences[0]}` : undefined);
    document ??= openApiDocument(API_OPERATIONS, {
      version: process.env.npm_package_version ?? '0.1.0',
      authority: `${s.M365V_AUTHORITY_HOST.replace(/\/$/, '')}/${s.M365V_API_TENANT_ID ?? 'organizations'}`,
      ...(uri ? { applicationIdUri: uri } : {}),
    });
    // Azure's front end names the app's own host name; locally, the host the request reached.
    const host = process.env.WEBSITE_HOSTNAME;
    return {
      status: 200,
      jsonBody: { ...document, servers: serversAt(host ? `https://${host}` : new URL(req.url).origin) },
    };
  },
});
