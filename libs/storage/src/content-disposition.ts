/**
 * An `attachment` Content-Disposition for `filename` (RFC 6266): a plain ASCII fallback for old
 * clients plus the exact UTF-8 name. Quotes, backslashes and control characters cannot break out.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
