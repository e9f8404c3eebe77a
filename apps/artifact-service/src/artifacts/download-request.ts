import { InvalidInputError } from '@kiln/errors';
import { isUuid } from '@kiln/api-wire';

/** `GET /internal/artifacts/:id/download` with `X-Project-Id`, both UUIDs. */
export function parseDownloadRequest(id: string, projectId: unknown): { id: string; projectId: string } {
  const problems: string[] = [];
  if (!isUuid(id)) problems.push(`artifact id "${id}" is not a UUID`);
  if (projectId === undefined || projectId === '') problems.push('X-Project-Id header is required');
  else if (!isUuid(projectId)) problems.push('X-Project-Id header is not a UUID');
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { problems });
  return { id: id.toLowerCase(), projectId: (projectId as string).toLowerCase() };
}
