import path from 'node:path';

/** A module the Cosmos DB stand-in itself loads (resolved from its own folder, so the very instance it uses). */
export function standInModule<T>(id: string): T {
  const server = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the stand-in's own copy, resolved at run time
  return require(require.resolve(id, { paths: [server] })) as T;
}
