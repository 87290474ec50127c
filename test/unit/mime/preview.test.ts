import { previewMime, sanitizeHtml } from '../../../shared/mime/preview';
import { attachment, base64Part, mimeBytes, multipart, textPart, withHeaders } from '../../support/mime-builder';

describe('message preview', () => {
  const message = withHeaders(
    ['From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@contoso.example>', 'To: Alex Wilber <AlexW@contoso.example>', 'Subject: =?UTF-8?Q?Budget_f=C3=BCr_2027?=', 'Date: Tue, 17 Nov 2026 09:30:00 +0000', 'Message-ID: <p1@contoso.example>', 'MIME-Version: 1.0'],
    multipart('mixed', [
      multipart('related', [
        multipart('alternative', [
          textPart('text/plain; charset=utf-8', 'Grüße, siehe Anhang.'),
          textPart('text/html; charset=utf-8', '<p onclick="steal()">Grüße</p><script>alert(1)</script><img src="https://tracker.example/p.gif"><img src="cid:logo"><a href="javascript:alert(2)">x</a>'),
        ]),
        base64Part('image/png; name="logo.png"', Buffer.alloc(300, 1), ['Content-ID: <logo>', 'Content-Disposition: inline; filename="logo.png"']),
      ]),
      attachment('Plan Q1.xlsx', Buffer.alloc(5000, 7), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
    ]),
  );

  it('shows decoded headers, the text body, sanitized HTML and the attachments with their sizes', () => {
    const p = previewMime(mimeBytes(message));
    expect(p.headers).toMatchObject({ subject: 'Budget für 2027', from: 'Jürgen Müller <jm@contoso.example>', messageId: '<p1@contoso.example>' });
    expect(p.text).toBe('Grüße, siehe Anhang.');
    expect(p.html).toContain('<p>Grüße</p>');
    expect(p.html).not.toMatch(/script|onclick|javascript:|\ssrc="https?:/);
    expect(p.html).toContain('data-blocked-src="https://tracker.example/p.gif"');
    expect(p.html).toContain('src="cid:logo"');
    expect(p.attachments).toEqual([
      { name: 'logo.png', contentType: 'image/png', size: 300, inline: true },
      { name: 'Plan Q1.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 5000, inline: false },
    ]);
    expect(p.truncated).toBe(false);
  });

  it('takes a single-part message, and text from HTML when there is no plain part', () => {
    const only = mimeBytes(withHeaders(['Subject: hi'], textPart('text/html', '<b>Hello</b>&nbsp;there')));
    expect(previewMime(only)).toMatchObject({ text: 'Hello there', attachments: [] });
  });

  it('removes active content however it is written', () => {
    const dirty = '<div><ScRiPt src=x></ScRiPt><iframe src="https://evil"></iframe><svg onload=alert(1)><circle/></svg><a href = " javascript:x">a</a><form action="https://x"><input></form><div style="background:url(https://t/x.png)">b</div><img src="data:image/png;base64,AAAA"><a href="data:text/html,<script>">c</a></div>';
    const clean = sanitizeHtml(dirty);
    expect(clean).not.toMatch(/<script|<iframe|<svg|onload|javascript:|<form|url\(https|data:text/i);
    expect(clean).toContain('data:image/png;base64,AAAA');
  });
});
