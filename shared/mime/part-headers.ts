// What the MIME scanner needs to know from one header block: the media type, its boundary, and the transfer
// encoding. Bytes are read as latin1 so every byte maps to one character and a boundary converts back exactly.

export interface PartHeaders {
  /** Lower-cased `type/subtype`; empty when the block has no usable Content-Type. */
  mediaType: string;
  /** The raw `boundary` parameter (case and bytes preserved), when present. */
  boundary?: string;
  /** Lower-cased Content-Transfer-Encoding; empty when absent (7bit). */
  transferEncoding: string;
}

/** Unfolded fields of a header block, in order, names lower-cased. Lines without a colon are ignored. */
function headerFields(block: Buffer): Array<{ name: string; value: string }> {
  const text = block.toString('latin1').replace(/\r?\n(?=[ \t])/g, '');
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** Removes RFC 5322 comments `( ... )` outside quoted strings, as they may sit anywhere in structured fields. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
    } else if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) {
      out += c;
      if (c === '"') quoted = true;
    }
  }
  return out;
}

/** `type/subtype; name=value; name="quoted \" value"` → media type and parameters (names lower-cased). */
export function parseContentType(value: string): { mediaType: string; params: Map<string, string> } {
  const text = stripComments(value);
  const semi = text.indexOf(';');
  const mediaType = (semi < 0 ? text : text.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? text.length : semi + 1;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    // A stray token without '=' (`; foo; boundary=x`) is skipped: the name is what follows the last ';'.
    const rawName = text.slice(i, eq);
    const name = rawName
      .slice(rawName.lastIndexOf(';') + 1)
      .trim()
      .toLowerCase();
    let j = eq + 1;
    while (text[j] === ' ' || text[j] === '\t') j++;
    let paramValue = '';
    if (text[j] === '"') {
      for (j++; j < text.length && text[j] !== '"'; j++) paramValue += text[j] === '\\' ? (text[++j] ?? '') : text[j];
      j = text.indexOf(';', j);
    } else {
      const end = text.indexOf(';', j);
      paramValue = text.slice(j, end < 0 ? text.length : end).trim();
      j = end;
    }
    if (name && !params.has(name)) params.set(name, paramValue);
    if (j < 0) break;
    i = j + 1;
  }
  return { mediaType, params };
}

/** The first Content-Type and Content-Transfer-Encoding of a header block win, as in common mail parsers. */
export function parsePartHeaders(block: Buffer): PartHeaders {
  let contentType: string | undefined;
  let transferEncoding: string | undefined;
  for (const f of headerFields(block)) {
    if (f.name === 'content-type' && contentType === undefined) contentType = f.value;
    else if (f.name === 'content-transfer-encoding' && transferEncoding === undefined)
      transferEncoding = stripComments(f.value).trim().toLowerCase();
  }
  const parsed = contentType === undefined ? undefined : parseContentType(contentType);
  const boundary = parsed?.params.get('boundary');
  return {
    mediaType: parsed && /^[^\s/]+\/[^\s/]+$/.test(parsed.mediaType) ? parsed.mediaType : '',
    ...(boundary !== undefined ? { boundary } : {}),
    transferEncoding: transferEncoding ?? '',
  };
}
