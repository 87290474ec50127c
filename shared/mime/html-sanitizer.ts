// Makes a message's HTML body safe to show in a recovery console: nothing in it may run script, phone home (tracking
// pixels, remote CSS) or post a form. sanitize-html (maintained, used widely) parses the HTML with htmlparser2 and
// writes it back out from the parse tree through an allow-list, so a payload that a regex would have to recognise
// (`<img/onerror=…>`, entity- or control-character-encoded `javascript:`, `\75 rl(` in CSS) either parses into an
// element and attribute the list refuses or is escaped as text. It needs no DOM, unlike DOMPurify, which on Node
// would bring jsdom (a whole browser emulation, and a large attack surface of its own) into the Functions app.
// The response that carries the result also gets a Content-Security-Policy that blocks any load the list missed.
import sanitize from 'sanitize-html';

/** Images a message carries itself, by Content-ID (without angle brackets), as data: URIs. */
export type InlineImages = ReadonlyMap<string, string>;

/** Raster types shown inline; SVG is left out (it is a document, with scripts and links of its own). */
const INLINE_IMAGE_TYPE = /^image\/(?:png|gif|jpeg|webp|bmp)$/;

/** A data: URI for an inline image part, or undefined for a type that is not shown. */
export const inlineImageUri = (contentType: string, bytes: Buffer): string | undefined =>
  INLINE_IMAGE_TYPE.test(contentType.toLowerCase())
    ? `data:${contentType.toLowerCase()};base64,${bytes.toString('base64')}`
    : undefined;

/** Characters browsers ignore inside a URL (so `java\tscript:` is `javascript:`), stripped before a scheme is read. */
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const stripIgnored = (url: string): string => url.replace(/[\u0000-\u0020\u007f-\u009f]+/g, '');

const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|webp|bmp);base64,[A-Za-z0-9+/=]*$/i;
const LINK_SCHEME = /^(?:https?|mailto|tel):/i;

/**
 * CSS property values kept in a style attribute: words, numbers, colours, quoted font names, and the colour and calc
 * functions; no backslash (CSS escapes), no other function (url(), image-set(), expression()), no `@` or `;`. Entities
 * are already decoded when this runs (htmlparser2 decodes attribute values), so `&#117;rl(` is seen as `url(`.
 */
const CSS_VALUE = /^(?:[^\\()@;:<>&]|(?<![\w-])(?:rgba?|hsla?|calc)\([^\\()@;:<>&]*\))*$/i;

/** Presentation properties mail uses; anything else (position, behavior, -moz-binding, custom properties) is dropped. */
const CSS_PROPERTIES = [
  'color',
  'background-color',
  'font',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'font-variant',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'text-align',
  'text-decoration',
  'text-indent',
  'text-transform',
  'vertical-align',
  'white-space',
  'word-break',
  'word-wrap',
  'overflow-wrap',
  'direction',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-radius',
  'border-collapse',
  'border-spacing',
  'width',
  'height',
  'max-width',
  'min-width',
  'max-height',
  'min-height',
  'display',
  'float',
  'clear',
  'list-style-type',
  'table-layout',
];

/** Old Outlook writes `FONT-SIZE: 10pt`; the allow-list is lower-case, so property names are lower-cased first. */
const lowerCaseProperties = (style: string): string =>
  style.replace(/(^|;)\s*([A-Za-z-]+)\s*:/g, (_, sep: string, prop: string) => `${sep}${prop.toLowerCase()}:`);

/** `cid:logo%40x` names the part with Content-ID <logo@x> (RFC 2392); a malformed escape is taken literally. */
function contentIdOf(url: string): string {
  try {
    return decodeURIComponent(url.slice(4));
  } catch {
    return url.slice(4);
  }
}

// Their text is dropped with them (sanitize-html keeps the text of other elements it drops): a <title> or an
// <svg>'s text has no place in a message body, and <noscript> or <template> content is not what a browser shows.
const NON_TEXT_TAGS = [
  'script',
  'style',
  'textarea',
  'option',
  'xmp',
  'noscript',
  'noembed',
  'noframes',
  'title',
  'template',
  'iframe',
  'object',
  'applet',
  'svg',
  'math',
  'head',
  'select',
  'button',
];

const TABLE_CELL = ['width', 'height', 'colspan', 'rowspan', 'bgcolor', 'nowrap', 'align', 'valign'];

function options(images: InlineImages): sanitize.IOptions {
  return {
    allowedTags: [
      ...sanitize.defaults.allowedTags,
      'img',
      'font',
      'center',
      'big',
      'strike',
      'tt',
      'del',
      'ins',
      'nobr',
    ],
    nonTextTags: NON_TEXT_TAGS,
    allowedAttributes: {
      '*': ['style', 'title', 'dir', 'lang', 'align', 'valign'],
      a: ['href', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height', 'border', 'hspace', 'vspace', 'data-blocked-src'],
      table: ['width', 'height', 'border', 'cellpadding', 'cellspacing', 'bgcolor'],
      td: TABLE_CELL,
      th: TABLE_CELL,
      tr: ['bgcolor', 'height'],
      col: ['span', 'width'],
      colgroup: ['span', 'width'],
      font: ['color', 'face', 'size'],
      ol: ['start', 'type'],
      ul: ['type'],
      li: ['value'],
    },
    // Checked again after the transforms below, which already keep only these.
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['data'] },
    allowProtocolRelative: false,
    allowedStyles: { '*': Object.fromEntries(CSS_PROPERTIES.map((p) => [p, [CSS_VALUE]])) },
    transformTags: {
      '*': (tagName, attribs) => ({
        tagName,
        attribs: attribs.style === undefined ? attribs : { ...attribs, style: lowerCaseProperties(attribs.style) },
      }),
      a: (tagName, attribs) => {
        const { href, ...rest } = attribs;
        const url = href === undefined ? '' : stripIgnored(href);
        // Links open outside the console, and the page they open learns nothing about it.
        return {
          tagName,
          attribs: LINK_SCHEME.test(url) ? { ...rest, href: url, target: '_blank', rel: 'noopener noreferrer' } : rest,
        };
      },
      img: (tagName, attribs) => {
        const { src, 'data-blocked-src': _ignored, ...rest } = attribs;
        const url = src === undefined ? '' : stripIgnored(src);
        const cid = /^cid:/i.test(url) ? images.get(contentIdOf(url)) : undefined;
        if (cid) return { tagName, attribs: { ...rest, src: cid } };
        if (DATA_IMAGE.test(url)) return { tagName, attribs: { ...rest, src: url } };
        // Remote images stay unloaded, as mail clients show them until the user asks: the address is kept inert so a
        // console can offer it. Browsers read `\` as `/`, so `\\host` is a remote image too.
        const remote = url.replace(/\\/g, '/');
        if (/^(?:https?:)?\/\//i.test(remote))
          return {
            tagName,
            attribs: { ...rest, 'data-blocked-src': remote.startsWith('//') ? `https:${remote}` : remote },
          };
        return { tagName, attribs: rest };
      },
    },
  };
}

/** The message HTML with only what is safe to render; `cid:` images become data: URIs of the message's own parts. */
export function sanitizeMailHtml(html: string, images: InlineImages = new Map()): string {
  return sanitize(html, options(images));
}

/**
 * The text of an HTML body on one line (words of adjacent elements kept apart), for search and for the preview of a
 * message without a plain part. mailparser converts HTML to text only when it is the whole message, not when it
 * sits in a multipart/related or mixed (Outlook's usual HTML-only mail), so this does it the same way for both.
 */
export function htmlText(html: string): string {
  const escaped = sanitize(html, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: NON_TEXT_TAGS,
    textFilter: (text) => `${text} `,
  });
  return escaped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}
