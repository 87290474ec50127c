// Invokes a registered function exactly as the Node.js worker does: InvocationModel.getArguments → preInvocation
// hooks → invokeFunction → postInvocation hooks → getResponse, with inputs and outputs as RpcTypedData.
import { randomUUID } from 'node:crypto';
import { context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import type { CoreRegistry, RegisteredFunction } from './core-shim';

export type RpcTypedData = {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number | string;
  double?: number;
  http?: unknown;
} | null;

export interface InvocationResult {
  returnValue?: RpcTypedData & { http?: RpcHttpResponse };
  outputData?: Array<{ name: string; data: RpcTypedData }>;
}

export interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  cookies?: Array<Record<string, unknown>>;
  body?: { bytes?: Uint8Array; string?: string };
}

export type Logger = (level: string, functionName: string, message: string) => void;

const appHookData: Record<string, unknown> = {};

async function runHooks(registry: CoreRegistry, name: string, context: Record<string, unknown>): Promise<void> {
  for (const hook of registry.hooks.get(name) ?? []) await hook(context);
}

export async function runAppHook(
  registry: CoreRegistry,
  name: 'appStart' | 'appTerminate',
  appDir: string,
): Promise<void> {
  await runHooks(registry, name, { hookData: appHookData, appHookData, functionAppDirectory: appDir });
}

/**
 * The worker takes each invocation off the host's gRPC stream, so its code starts with no ambient OpenTelemetry
 * context. Here the host's own loops call in, with tracing suppressed for the host's work (server.ts) and whatever
 * else their async context carries (the exporter's own suppression reaches them through shared keep-alive sockets).
 */
export function invokeFunction(...args: Parameters<typeof invokeInWorker>): Promise<InvocationResult> {
  return otelContext.with(ROOT_CONTEXT, () => invokeInWorker(...args));
}

async function invokeInWorker(
  registry: CoreRegistry,
  fn: RegisteredFunction,
  inputData: Array<{ name: string; data: RpcTypedData }>,
  log: Logger,
  triggerMetadata: Record<string, RpcTypedData> = {},
  invocationId: string = randomUUID(),
): Promise<InvocationResult> {
  const model = registry.programmingModel;
  if (!model) throw new Error('the app registered no programming model (is @azure/functions loaded?)');
  const coreCtx: Record<string, unknown> = {
    invocationId,
    request: { inputData, triggerMetadata },
    metadata: fn.metadata,
    state: undefined,
    log: (level: string, category: string, message: string) =>
      log(level, category === 'system' ? `${fn.metadata.name} (system)` : fn.metadata.name, message),
  };
  const invocationModel = model.getInvocationModel(coreCtx);
  const { context, inputs } = await invocationModel.getArguments();
  const hookData: Record<string, unknown> = {};
  const pre = { hookData, appHookData, invocationContext: context, functionCallback: fn.callback, inputs };
  coreCtx.state = 'preInvocationHooks';
  await runHooks(registry, 'preInvocation', pre);
  coreCtx.state = 'invocation';
  const post: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs: pre.inputs,
    result: undefined,
    error: undefined,
  };
  try {
    post.result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (e) {
    post.error = e;
  }
  coreCtx.state = 'postInvocationHooks';
  await runHooks(registry, 'postInvocation', post);
  if (post.error) throw post.error as Error;
  return invocationModel.getResponse(context, post.result) as Promise<InvocationResult>;
}

/**
 * The worker's init step: the programming model reports its capabilities. With `app.setup({ enableHttpStream: true })`
 * @azure/functions starts its HTTP proxy here and reports its URL as `HttpUri`; setup is locked from then on.
 */
export async function workerCapabilities(registry: CoreRegistry): Promise<Record<string, string>> {
  return (await registry.programmingModel?.getCapabilities?.({})) ?? {};
}

/** Encodes a value the way the host sends binding data: strings as strings, everything else as JSON. */
export const toTypedData = (value: unknown): RpcTypedData =>
  typeof value === 'string' ? { string: value } : { json: JSON.stringify(value ?? null) };

/** Decodes a function's RpcTypedData return value. */
export function fromTypedData(data: RpcTypedData | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) return data.string;
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return Number(data.int);
  if (data.double !== undefined) return data.double;
  return undefined;
}
