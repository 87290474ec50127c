import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { API_OPERATIONS } from '../../../shared/api/operations';
import { openApiDocument } from '../../../shared/api/openapi';

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
});
