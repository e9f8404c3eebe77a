import { createHash } from 'node:crypto';
import { Client } from 'minio';
import { BodyPart } from './object-body';

/** S3 accepts at most this many parts per upload. */
export const MAX_PARTS = 10_000;

/**
 * Uploads `parts` as one S3 multipart upload, one part at a time. minio's own `putObject` multipart
 * path is avoided: it first lists incomplete uploads to resume them (ListMultipartUploads, which
 * s3rver lacks) and its complete-response parser rejects moto's answer. `beforeComplete` may throw
 * to abandon the upload (e.g. on a size mismatch) before the object becomes visible.
 */
export async function uploadMultipart(
  client: Client,
  bucket: string,
  key: string,
  headers: Record<string, string>,
  parts: AsyncIterable<BodyPart>,
  beforeComplete: () => void,
): Promise<void> {
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, headers);
  try {
    const etags: { part: number; etag: string }[] = [];
    for await (const { data } of parts) {
      const part = etags.length + 1;
      if (part > MAX_PARTS) throw new Error(`${key} needs more than ${MAX_PARTS} parts: raise partSize`);
      const md5 = createHash('md5').update(data).digest('base64');
      const { etag } = await client.uploadPart(
        {
          bucketName: bucket,
          objectName: key,
          uploadID: uploadId,
          partNumber: part,
          headers: { 'Content-MD5': md5 },
        },
        data,
      );
      etags.push({ part, etag });
    }
    beforeComplete();
    await completeMultipart(client, bucket, key, uploadId, etags);
  } catch (error) {
    // The upload's own error is the one to report. If the abort fails too (s3rver does not
    // implement it), the parts stay until the bucket's AbortIncompleteMultipartUpload rule.
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw error;
  }
}

async function completeMultipart(
  client: Client,
  bucket: string,
  key: string,
  uploadId: string,
  etags: { part: number; etag: string }[],
): Promise<void> {
  const partsXml = etags
    .map(({ part, etag }) => `<Part><PartNumber>${part}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`)
    .join('');
  const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${partsXml}</CompleteMultipartUpload>`;
  const res = await client.makeRequestAsync(
    {
      method: 'POST',
      bucketName: bucket,
      objectName: key,
      query: `uploadId=${encodeURIComponent(uploadId)}`,
    },
    body,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const answer = Buffer.concat(chunks).toString();
  // S3 may report a failed completion as an <Error> document after a 200 status.
  if (/<Error[\s>]/.test(answer)) {
    const code = /<Code>([^<]*)<\/Code>/.exec(answer)?.[1] ?? 'UnknownError';
    const message = /<Message>([^<]*)<\/Message>/.exec(answer)?.[1] ?? answer;
    throw Object.assign(new Error(`completing the upload of ${key} failed: ${code}: ${message}`), { code });
  }
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
