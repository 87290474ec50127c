// The foundation's smoke job: an HTTP starter, a fan-out orchestration and an activity, proving the whole local
// runtime (host, durable replay, Durable HTTP API, storage) end to end. The backup job replaces it in `npm start`.
import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';

const helloInput = z.object({ names: z.array(z.string().min(1).max(100)).min(1).max(1000) });

const helloOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { names } = helloInput.parse(context.df.getInput());
  context.df.setCustomStatus({ stage: 'greeting', total: names.length });
  const greetings: string[] = yield context.df.Task.all(names.map((name) => context.df.callActivity('helloGreet', name)));
  context.df.setCustomStatus({ stage: 'done', total: names.length });
  return { greetings, at: context.df.currentUtcDateTime.toISOString() };
};
df.app.orchestration('helloOrchestrator', helloOrchestrator);

df.app.activity('helloGreet', {
  handler: (name: unknown): string => `Hello, ${String(name)}!`,
});

df.app.client.http('helloStart', {
  route: 'hello',
  methods: ['POST'],
  handler: async (request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> => {
    const parsed = helloInput.safeParse(await request.json().catch(() => undefined));
    if (!parsed.success) {
      return { status: 400, jsonBody: { error: { code: 'invalidRequest', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') } } };
    }
    const instanceId = await client.startNew('helloOrchestrator', { input: parsed.data });
    context.log(`started helloOrchestrator ${instanceId}`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (): Promise<HttpResponseInit> => ({ status: 200, jsonBody: { status: 'ok' } }),
});
