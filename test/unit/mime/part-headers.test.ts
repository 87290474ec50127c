import { parseContentType, parsePartHeaders } from '../../../shared/mime/part-headers';

const block = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');

describe('MIME part headers', () => {
  it('parses quoted and unquoted parameters, escapes, comments, stray tokens and odd spacing', () => {
    expect(parseContentType('multipart/mixed; boundary="----=_Part_1; x"').params.get('boundary')).toBe(
      '----=_Part_1; x',
    );
    expect(parseContentType('Multipart/Related;type="text/html";BOUNDARY=abc').params).toEqual(
      new Map([
        ['type', 'text/html'],
        ['boundary', 'abc'],
      ]),
    );
    expect(parseContentType('multipart/mixed (comment; boundary=no); charset = "utf-8" ; boundary = "a\\"b"')).toEqual({
      mediaType: 'multipart/mixed',
      params: new Map([
        ['charset', 'utf-8'],
        ['boundary', 'a"b'],
      ]),
    });
    expect(parseContentType('text/plain; format; boundary=z').params.get('boundary')).toBe('z');
    expect(parseContentType('multipart/mixed; boundary=a; boundary=b').params.get('boundary')).toBe('a');
  });

  it('reads folded fields with any header name case; the first Content-Type and encoding win', () => {
    expect(
      parsePartHeaders(
        block(
          'CONTENT-type: multipart/alternative;',
          '\tboundary="_000_x_"',
          'content-type: text/plain',
          'Content-Transfer-Encoding:  Base64 (binary data)',
        ),
      ),
    ).toEqual({
      mediaType: 'multipart/alternative',
      boundary: '_000_x_',
      transferEncoding: 'base64',
    });
    expect(
      parsePartHeaders(
        Buffer.from('Content-Type: application/pdf;\n name="a.pdf"\nContent-Transfer-Encoding: BASE64\n'),
      ),
    ).toEqual({ mediaType: 'application/pdf', transferEncoding: 'base64' });
  });

  it('keeps boundary bytes exactly (latin1 round trip) and reports unusable types as absent', () => {
    const raw = Buffer.from('Content-Type: multipart/mixed; boundary="\xe4\xf6-b"\r\n', 'latin1');
    expect(Buffer.from(parsePartHeaders(raw).boundary!, 'latin1')).toEqual(Buffer.from([0xe4, 0xf6, 0x2d, 0x62]));
    expect(parsePartHeaders(block('Content-Type: garbage', 'X: y'))).toEqual({ mediaType: '', transferEncoding: '' });
    expect(parsePartHeaders(block('no colon line', 'Subject: hi'))).toEqual({ mediaType: '', transferEncoding: '' });
  });
});
