import { attachmentDisposition } from './content-disposition';

describe('attachment Content-Disposition', () => {
  it('names a plain file directly', () => {
    expect(attachmentDisposition('report.pdf')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
  });

  it('keeps the exact UTF-8 name and an ASCII fallback', () => {
    expect(attachmentDisposition('résumé.txt')).toBe(
      `attachment; filename="r_sum_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`,
    );
  });

  it('cannot be broken out of with quotes or line breaks', () => {
    const header = attachmentDisposition('a"; filename="evil.exe\r\nSet-Cookie: x');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/"/g)).toHaveLength(2);
  });
});
