// GET /api/openapi.json (anonymous): the API described from the same operation list and zod schemas it validates with.
import { app } from '@azure/functions';
import { API_OPERATIONS } from '../shared/api/operations';
import { openApiDocument } from '../shared/api/openapi';
import { services } from '../shared/runtime/services';

let document: unknown;

app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const s = services().settings;
    document ??= openApiDocument(API_OPERATIONS, {
      version: process.env.npm_package_version ?? '0.1.0',
      tokenUrl: `${s.M365V_AUTHORITY_HOST.replace(/\/$/, '')}/${s.M365V_API_TENANT_ID ?? '{tenant}'}/oauth2/v2.0/token`,
    });
    return { status: 200, jsonBody: document };
  },
});
