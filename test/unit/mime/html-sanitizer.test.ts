import { sanitizeMailHtml } from '../../../shared/mime/html-sanitizer';
import { previewMessage } from '../../../shared/mime/preview';
import { XSS_VECTORS } from '../../fixtures/xss-vectors';
import { dangersIn } from '../../support/html-dangers';
import { messageHeaders, mimeBytes, multipart, textPart, withHeaders } from '../../support/mime-builder';

describe('mail HTML sanitizer', () => {
  it('the oracle sees every vector of the corpus as dangerous before sanitizing', () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(40);
    expect(XSS_VECTORS.filter((v) => v.found)).toHaveLength(14);
    expect(XSS_VECTORS.filter((v) => dangersIn(v.html).length === 0).map((v) => v.name)).toEqual([]);
  });

  it.each(XSS_VECTORS.map((v) => [v.name, v.html]))('removes %s', (_name, html) => {
    expect(dangersIn(sanitizeMailHtml(`<div>${html}</div><p>after</p>`))).toEqual([]);
  });

  it.each(XSS_VECTORS.map((v) => [v.name, v.html]))(
    'removes %s planted in a message (quoted-printable HTML part)',
    async (_name, html) => {
      const raw = mimeBytes(
        withHeaders(
          messageHeaders('x', 'xss'),
          multipart('alternative', [
            textPart('text/plain; charset=utf-8', 'plain'),
            textPart('text/html; charset=utf-8', `<html><body>${html}</body></html>`),
          ]),
        ),
      );
      const p = await previewMessage(raw, 1024 * 1024);
      expect(dangersIn(p.html ?? '')).toEqual([]);
    },
  );

  it('keeps what mail needs: text, links, tables, colours, fonts and inline images', () => {
    const html =
      '<table width="600" cellpadding="4" bgcolor="#eeeeee"><tr><td valign="top" style="FONT-SIZE: 10pt; font-family: &quot;Segoe UI&quot;, sans-serif; color: rgb(32, 31, 30); position: fixed">' +
      '<a href="https://contoso.example/report?q=1&amp;r=2">Report</a> <font color="red" face="Arial">!</font><img src="data:image/png;base64,iVBORw0KGgo=" alt="dot"></td></tr></table>';
    const clean = sanitizeMailHtml(html);
    expect(clean).toContain('<table width="600" cellpadding="4" bgcolor="#eeeeee">');
    expect(clean).toContain(
      'style="font-size:10pt;font-family:&quot;Segoe UI&quot;, sans-serif;color:rgb(32, 31, 30)"',
    );
    expect(clean).toContain(
      '<a href="https://contoso.example/report?q=1&amp;r=2" target="_blank" rel="noopener noreferrer">Report</a>',
    );
    expect(clean).toContain('<font color="red" face="Arial">!</font>');
    expect(clean).toContain('<img alt="dot" src="data:image/png;base64,iVBORw0KGgo=" />');
  });

  it('blocks remote images but keeps their address inert, resolves cid: images and drops unknown ones', () => {
    const images = new Map([['logo@contoso', 'data:image/png;base64,AAAA']]);
    const clean = sanitizeMailHtml(
      '<img src="https://tracker.example/p.gif"><img src="//cdn.example/a.png"><img src="cid:logo@contoso"><img src="cid:logo%40contoso"><img src="cid:missing" alt="m">',
      images,
    );
    expect(clean).toBe(
      '<img data-blocked-src="https://tracker.example/p.gif" /><img data-blocked-src="https://cdn.example/a.png" /><img src="data:image/png;base64,AAAA" /><img src="data:image/png;base64,AAAA" /><img alt="m" />',
    );
    expect(sanitizeMailHtml('<img data-blocked-src="javascript:alert(1)" src="x">')).toBe('<img />');
  });
});
