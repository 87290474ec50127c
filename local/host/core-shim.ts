// Stands in for '@azure/functions-core', the module the real Node.js worker gives the @azure/functions library.
// Installed before the app loads (the library caches a failed require for good), it captures registrations,
// the programming model and hooks exactly as the worker receives them.
import Module from 'node:module';

export interface RpcBinding {
  type: string;
  direction: 'in' | 'out';
  [key: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBinding>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  /** The trigger binding's name and type. */
  triggerName: string;
  triggerType: string;
}

export interface ProgrammingModel {
  getInvocationModel(coreCtx: unknown): {
    getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
    invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
    getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
  };
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

type HookCallback = (context: Record<string, unknown>) => unknown;

export class CoreRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  programmingModel: ProgrammingModel | undefined;
  logSink: (level: string, category: string, message: string) => void = () => undefined;
}

const VIRTUAL_ID = '@azure/functions-core';
let installed: CoreRegistry | undefined;

/** Installs the shim once per process and returns the registry it fills. */
export function installCoreShim(): CoreRegistry {
  if (installed) return installed;
  const registry = new CoreRegistry();
  class Disposable {
    constructor(private readonly onDispose: () => void) {}
    dispose(): void {
      this.onDispose();
    }
  }
  const api = {
    version: '3.10.1',
    hostVersion: '4.1040.0',
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback) {
      const trigger = Object.entries(metadata.bindings).find(
        ([, b]) => b.direction === 'in' && /trigger$/i.test(b.type),
      );
      if (!trigger) throw new Error(`function ${metadata.name} has no trigger binding`);
      if (registry.functions.has(metadata.name))
        throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      registry.functions.set(metadata.name, {
        metadata,
        callback,
        triggerName: trigger[0],
        triggerType: trigger[1].type,
      });
      return new Disposable(() => registry.functions.delete(metadata.name));
    },
    setProgrammingModel(model: ProgrammingModel) {
      registry.programmingModel = model;
    },
    getProgrammingModel() {
      return registry.programmingModel;
    },
    registerHook(name: string, callback: HookCallback) {
      const list = registry.hooks.get(name) ?? [];
      list.push(callback);
      registry.hooks.set(name, list);
      return new Disposable(() => list.splice(list.indexOf(callback), 1));
    },
    log(level: string, category: string, message: string) {
      registry.logSink(level, category, message);
    },
    Disposable,
  };
  const mod = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const original = mod._resolveFilename;
  mod._resolveFilename = function resolve(request: string, ...rest: unknown[]) {
    return request === VIRTUAL_ID ? VIRTUAL_ID : original.call(this, request, ...rest);
  };
  const shim = new Module(VIRTUAL_ID);
  shim.exports = api;
  (shim as unknown as { loaded: boolean }).loaded = true;
  mod._cache[VIRTUAL_ID] = shim;
  installed = registry;
  return registry;
}
