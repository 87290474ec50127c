// Liveness probe (anonymous): the app loaded and answers.
import { app, HttpResponseInit } from '@azure/functions';

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (): Promise<HttpResponseInit> => ({ status: 200, jsonBody: { status: 'ok' } }),
});
