import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_OPERATIONS } from '../../../shared/api/operations';
import { API_SCOPE_NAME, openApiDocument } from '../../../shared/api/openapi';

const root = path.resolve(__dirname, '../../../..');

/** The HTTP routes the app registers, read by loading it the way the local host does (in a child: the shim patches require). */
function registeredRoutes(): string[] {
  const script = `
    const { loadApp } = require(${JSON.stringify(path.join(root, 'dist/local/host/app-loader.js'))});
    const { registry } = loadApp(${JSON.stringify(root)});
    const out = [];
    for (const f of registry.functions.values()) {
      if (f.triggerType !== 'httpTrigger') continue;
      const b = f.metadata.bindings[f.triggerName];
      for (const m of b.methods) out.push(m.toUpperCase() + ' /' + b.route);
    }
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } }).toString(),
  ) as string[];
}

describe('OpenAPI document', () => {
  it('describes exactly the routes the app serves', () => {
    const described = API_OPERATIONS.map((o) => `${o.method} ${o.path}`).sort();
    expect(registeredRoutes().sort()).toEqual(described);
    expect(new Set(API_OPERATIONS.map((o) => o.id)).size).toBe(API_OPERATIONS.length);
  });

  it('carries request schemas, roles and error responses', () => {
    const doc = openApiDocument(API_OPERATIONS, { version: '1.0.0' }) as {
      openapi: string;
      paths: Record<string, Record<string, any>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const restore = doc.paths['/api/accounts/{accountId}/restores'].post;
    expect(restore['x-required-role']).toBe('Backup.Administrator');
    expect(restore.requestBody.content['application/json'].schema.properties.target).toBeDefined();
    expect(restore.responses['409'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    const search = doc.paths['/api/accounts/{accountId}/protected-items/{itemId}/search'].get;
    expect(search.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:accountId', 'path:itemId', 'query:q', 'query:continuation']),
    );
    expect(search.parameters.find((p: { name: string }) => p.name === 'q').required).toBe(true);
    const download = doc.paths['/api/accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/content'].get;
    expect(Object.keys(download.responses['200'].content)).toContain('message/rfc822');
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    expect(() => JSON.stringify(doc)).not.toThrow();
  });

  const configured = () =>
    openApiDocument(API_OPERATIONS, {
      version: '1.2.3',
      authority: 'https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555',
      applicationIdUri: 'api://11111111-2222-4333-8444-555555555555/m365-vault',
      serverUrl: 'https://vault.example.net',
    });

  /** The real validator (ESM only, so in a child process) on the document as JSON. */
  function validate(doc: unknown): { valid: boolean; version?: string; errors?: unknown } {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    try {
      const script = `
        import { Validator } from '@seriousme/openapi-schema-validator';
        const v = new Validator();
        const r = await v.validate(${JSON.stringify(file)});
        process.stdout.write(JSON.stringify({ valid: r.valid, version: v.version, errors: r.errors }));`;
      return JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: root,
          env: { ...process.env, NODE_OPTIONS: '' },
        }).toString(),
      ) as { valid: boolean; version?: string; errors?: unknown };
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }

  it('is a valid OpenAPI 3.1 document by @seriousme/openapi-schema-validator, configured or not', () => {
    for (const doc of [configured(), openApiDocument(API_OPERATIONS, { version: '0.1.0' })])
      expect(validate(doc)).toEqual({ valid: true, version: '3.1', errors: undefined });
    // The validator does refuse a broken document: a path parameter the path does not declare, a bad token URL.
    const broken = configured() as { paths: Record<string, any>; components: any };
    broken.paths['/api/health'].get.parameters = [{ name: 'x', in: 'path', schema: { type: 'string' } }];
    broken.components.securitySchemes.entra.flows.clientCredentials.tokenUrl = 'https://{tenant}/token';
    expect(validate(broken).valid).toBe(false);
  });

  it('names its server, and signs people in by authorization code with PKCE for the API scope', () => {
    const doc = configured() as { servers: Array<{ url: string }>; components: any };
    expect(doc.servers.map((s) => s.url)).toEqual(['https://vault.example.net']);
    const entra = doc.components.securitySchemes.entra;
    expect(entra['x-usePkce']).toBe('SHA-256');
    expect(entra.flows.authorizationCode).toEqual({
      authorizationUrl: 'https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token',
      scopes: {
        [`api://11111111-2222-4333-8444-555555555555/m365-vault/${API_SCOPE_NAME}`]: expect.any(String),
      },
    });
    expect(Object.keys(entra.flows.clientCredentials.scopes)).toEqual([
      'api://11111111-2222-4333-8444-555555555555/m365-vault/.default',
    ]);
  });

  it('gives every operation a response schema: a declared body for each JSON success, none for a 204', () => {
    const missing = API_OPERATIONS.filter((op) => {
      const success = Object.keys(op.responses)
        .map(Number)
        .find((c) => c < 300)!;
      return success !== 204 && !op.produces && !op.result;
    }).map((op) => op.id);
    expect(missing).toEqual([]);
    const doc = configured() as { paths: Record<string, Record<string, any>> };
    const run =
      doc.paths['/api/accounts/{accountId}/jobs/{jobId}/runs/{runId}'].get.responses['200'].content['application/json']
        .schema;
    expect(run.properties.progress.properties).toEqual(
      expect.objectContaining({ itemsDone: expect.anything(), bytes: expect.anything(), current: expect.anything() }),
    );
    expect(run.properties.status.enum).toContain('stopped');
    const stop = doc.paths['/api/accounts/{accountId}/jobs/{jobId}/runs/{runId}/stop'].post;
    expect(stop['x-required-role']).toBe('Backup.Administrator');
    expect(Object.keys(stop.responses)).toEqual(expect.arrayContaining(['202', '403', '404', '409']));
    const deleteJob = doc.paths['/api/accounts/{accountId}/jobs/{jobId}'].delete;
    expect(deleteJob.summary).toMatch(/recovery points are kept under the job's retention/);
    expect(deleteJob.responses['204'].content).toBeUndefined();
    const patchJob = doc.paths['/api/accounts/{accountId}/jobs/{jobId}'].patch;
    expect(patchJob.requestBody.content['application/json'].schema.required ?? []).toEqual([]);
    expect(Object.keys(patchJob.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '412']));
  });
});
