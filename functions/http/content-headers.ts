// Headers for responses that carry backed-up content (a preview's HTML, a downloaded message or file, an export):
// whatever a browser makes of it, it may run no script, load nothing from elsewhere (images only from the content
// itself), never be sniffed into another type, and a download is saved, not rendered in the API's origin.
export const CONTENT_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox",
  'x-content-type-options': 'nosniff',
} as const;
