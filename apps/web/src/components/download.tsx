import { ApiClient } from '../api/api-client';

/**
 * Downloads an authenticated URL: the token cannot ride on a plain link, so the file is fetched
 * (following a presigned redirect) and handed to the browser as a blob.
 */
export async function downloadWithToken(
  client: ApiClient,
  path: string,
  filename: string,
  accept = '*/*',
): Promise<void> {
  const res = await client.fetch(path, { headers: { accept } });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
