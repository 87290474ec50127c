// The oracle of the XSS corpus: what in an HTML fragment could run script, phone home or phish if a console rendered
// it. It reads the fragment with a real HTML tokenizer (entities decoded as a browser decodes them) and, as a second
// opinion that shares no parser with the sanitizer, scans the raw text for forbidden tags.
import { Parser } from 'htmlparser2';

const FORBIDDEN_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'base',
  'meta',
  'link',
  'style',
  'svg',
  'math',
  'template',
  'video',
  'audio',
  'source',
  'track',
  'noscript',
  'xmp',
  'plaintext',
  'portal',
]);
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'background',
  'poster',
  'lowsrc',
  'dynsrc',
  'data',
  'codebase',
  'cite',
  'srcset',
  'srcdoc',
  'ping',
  'longdesc',
]);
/** Attributes a browser loads from as soon as the element renders. */
const LOADING_ATTRIBUTES = new Set([
  'src',
  'srcset',
  'background',
  'poster',
  'lowsrc',
  'dynsrc',
  'data',
  'codebase',
  'longdesc',
]);
const INLINE_IMAGE = /^(?:data:image\/(?:png|gif|jpeg|webp|bmp);base64,|cid:)/;

/** CSS as the browser reads it: escapes decoded, comments gone. */
const cssText = (css: string): string =>
  css
    .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16) || 0xfffd))
    .replace(/\\(.)/g, '$1')
    .replace(/\/\*[\s\S]*?\*\//g, '');

const cssDanger = (css: string): boolean =>
  /url\s*\(|image-set\s*\(|expression\s*\(|@import|javascript:|vbscript:|behavior\s*:|-moz-binding/i.test(cssText(css));

/** What survived, one line per finding; empty when the fragment is safe. */
export function dangersIn(html: string): string[] {
  const found: string[] = [];
  let inStyle = false;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (FORBIDDEN_TAGS.has(name)) found.push(`<${name}> element`);
        inStyle = name === 'style';
        for (const [attr, value] of Object.entries(attribs)) {
          if (attr.startsWith('on')) found.push(`event handler ${attr} on <${name}>`);
          if (attr === 'style' && cssDanger(value))
            found.push(`style with a load or expression on <${name}>: ${value}`);
          if (!URL_ATTRIBUTES.has(attr)) continue;
          // eslint-disable-next-line no-control-regex -- browsers ignore these in a URL, so the oracle does too
          const url = value.replace(/[\u0000-\u0020]+/g, '').toLowerCase();
          if (/^(?:javascript|vbscript|livescript):|^data:text\/html/.test(url))
            found.push(`${attr}=${value} on <${name}>`);
          else if (LOADING_ATTRIBUTES.has(attr) && (attr === 'srcset' || !INLINE_IMAGE.test(url)))
            found.push(`${name} loads ${attr}=${value}`);
        }
      },
      ontext(text) {
        if (inStyle && cssDanger(text)) found.push(`style element with a load or expression: ${text}`);
      },
      onclosetag() {
        inStyle = false;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  if (/<\s*\/?\s*(?:script|iframe|frame|object|embed|applet|form|base|meta|link|style|svg|math)\b/i.test(html))
    found.push('forbidden tag in the raw text');
  return found;
}
