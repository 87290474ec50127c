// Functions route templates: literal segments, {name}, {name?}, {name:int|long|alpha|bool|guid|...} and {*rest}.

export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | null;
  /** More literal segments first, so `jobs/run` wins over `jobs/{id}`. */
  specificity: number;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/, long: /^-?\d+$/, double: /^-?\d+(\.\d+)?$/, float: /^-?\d+(\.\d+)?$/, decimal: /^-?\d+(\.\d+)?$/,
  bool: /^(true|false)$/i, alpha: /^[a-z]+$/i, guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i, datetime: /^\d{4}-\d{2}-\d{2}/,
};

export function compileRoute(template: string): CompiledRoute {
  const segments = template.replace(/^\/+|\/+$/g, '').split('/').filter(Boolean);
  const literal = segments.filter((s) => !s.startsWith('{')).length;
  return {
    template,
    specificity: literal * 100 + segments.length,
    match(path) {
      const parts = path.replace(/^\/+|\/+$/g, '').split('/').filter(Boolean);
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(seg);
        if (!m) {
          if (parts[i]?.toLowerCase() !== seg.toLowerCase()) return null;
          continue;
        }
        const [, catchAll, name, constraint, optional] = m;
        if (catchAll) {
          params[name!] = parts.slice(i).map(decodeURIComponent).join('/');
          return params;
        }
        const value = parts[i];
        if (value === undefined) {
          if (optional && i === segments.length - 1) return params;
          return null;
        }
        const decoded = decodeURIComponent(value);
        if (constraint && CONSTRAINTS[constraint] && !CONSTRAINTS[constraint].test(decoded)) return null;
        params[name!] = decoded;
      }
      return parts.length === segments.length ? params : null;
    },
  };
}
