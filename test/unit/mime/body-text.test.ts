import { bodyTextOf } from '../../../shared/mime/body-text';
import { attachment, mimeBytes, multipart, textPart, withHeaders } from '../../support/mime-builder';

describe('body text for search', () => {
  it('takes the plain part, lower-cased and collapsed, beyond the 255 characters of a preview', async () => {
    const body = `${'Filler words. '.repeat(40)}The Zebracorn budget\n\nis approved.`;
    const raw = mimeBytes(
      withHeaders(
        ['Subject: x'],
        multipart('mixed', [
          multipart('alternative', [
            textPart('text/plain; charset=utf-8', body),
            textPart('text/html', '<p>ignored</p>'),
          ]),
          attachment('a.bin', Buffer.alloc(10)),
        ]),
      ),
    );
    expect(await bodyTextOf(raw)).toContain('the zebracorn budget is approved.');
  });

  it('falls back to the HTML without tags, scripts or styles, and survives a truncated prefix', async () => {
    const raw = mimeBytes(
      withHeaders(
        ['Subject: x'],
        textPart(
          'text/html; charset=utf-8',
          '<style>p{color:red}</style><p>Grüße &amp; <b>Quokka</b></p><script>var secret=1</script>',
        ),
      ),
    );
    expect(await bodyTextOf(raw)).toBe('grüße & quokka');
    expect(typeof (await bodyTextOf(raw.subarray(0, raw.length - 20)))).toBe('string');
  });
});
