import type { Container, Database } from '@azure/cosmos';

type Fn = (...args: unknown[]) => Promise<unknown>;

/**
 * A database whose containers are the real ones, except that the caller is held after its n-th write (create,
 * upsert, replace or delete, whatever the outcome), or just before it, until `resume` is called: a test places
 * another writer's whole run at that point, which is how it reproduces an interleaving of processes on different
 * machines.
 */
export function pausedWriter(
  database: Database,
  n: number,
  when: 'before' | 'after' = 'after',
): { database: Database; paused: Promise<void>; resume: () => void } {
  let writes = 0;
  let reached!: () => void;
  let resume!: () => void;
  const paused = new Promise<void>((r) => (reached = r));
  const go = new Promise<void>((r) => (resume = r));
  const hold = async (at: 'before' | 'after'): Promise<void> => {
    if (when !== at || writes !== n) return;
    reached();
    await go;
  };
  const counted =
    (target: object, method: string) =>
    async (...args: unknown[]) => {
      writes++;
      await hold('before');
      try {
        return await (Reflect.get(target, method) as Fn).apply(target, args);
      } finally {
        await hold('after');
      }
    };
  const writer = <T extends object>(target: T, methods: string[]): T =>
    new Proxy(target, {
      get: (t, k) => (typeof k === 'string' && methods.includes(k) ? counted(t, k) : Reflect.get(t, k)),
    });
  const container = (c: Container): Container =>
    new Proxy(c, {
      get: (t, k) => {
        if (k === 'items') return writer(t.items, ['create', 'upsert']);
        if (k === 'item') return (id: string, pk: string) => writer(t.item(id, pk), ['replace', 'delete']);
        return Reflect.get(t, k);
      },
    });
  return {
    database: { container: (id: string) => container(database.container(id)) } as unknown as Database,
    paused,
    resume,
  };
}
