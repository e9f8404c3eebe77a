const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
/** A registry host as image names carry it: a lowercase DNS name or IPv4 address, optional port. */
export const REGISTRY_HOST_PATTERN = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?$`);

/** Why `server` is not a registry host (`host[:port]`, no scheme or path), or undefined when it is one. */
export function registryHostProblem(server: string): string | undefined {
  const port = Number(server.split(':')[1] ?? 1);
  if (server.length <= 253 && REGISTRY_HOST_PATTERN.test(server) && port >= 1 && port <= 65_535)
    return undefined;
  return `"${server.slice(0, 100)}" is not a registry host; write host[:port] in lowercase, without scheme or path (e.g. "registry.example.com" or "registry.example.com:5000")`;
}

/**
 * The registry host an image is pulled from, as Docker reads a reference: the first path
 * component when it looks like a host (has "." or ":" or is "localhost"), else `docker.io`.
 * Lowercased, since host names are case-insensitive and stored credentials are lowercase.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? first.toLowerCase() : 'docker.io';
}
