import { ApiError, badRequest } from './api-status';

type Json = unknown;

/** Applies a PATCH body by its content type: JSON merge patch, strategic merge (as a merge patch) or JSON patch. */
export function applyPatch(target: Json, patch: Json, contentType: string): Json {
  if (
    contentType.startsWith('application/merge-patch+json') ||
    contentType.startsWith('application/strategic-merge-patch+json')
  ) {
    return mergePatch(target, patch);
  }
  if (contentType.startsWith('application/json-patch+json')) return jsonPatch(target, patch);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format: ${contentType}`,
  );
}

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: Json;
}

/** RFC 6902 with add, remove, replace and test, enough for what clients send. */
function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw badRequest('a JSON patch must be an array of operations');
  const document = structuredClone(target) as Record<string, Json>;
  for (const operation of patch as Operation[]) {
    const parts = operation.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw badRequest(`invalid patch path "${operation.path}"`);
    let parent: Record<string, Json> = document;
    for (const part of parts) {
      if (!isObject(parent[part]) && !Array.isArray(parent[part]))
        throw badRequest(`path "${operation.path}" does not exist`);
      parent = parent[part] as Record<string, Json>;
    }
    if (operation.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) {
      throw new ApiError(422, 'Invalid', `the test operation on ${operation.path} failed`);
    }
    if (operation.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    }
    if (operation.op === 'add' && Array.isArray(parent)) {
      parent.splice(last === '-' ? parent.length : Number(last), 0, operation.value);
    } else if (operation.op === 'add' || operation.op === 'replace') {
      parent[last] = operation.value;
    }
  }
  return document;
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
