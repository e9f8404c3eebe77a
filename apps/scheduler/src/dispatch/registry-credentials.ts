import { RegistryCredential } from '@kiln/contracts';
import { registryOf } from '@kiln/definition';

export interface StoredRegistryCredential {
  server: string;
  username: string;
  passwordEnc: string;
}

/**
 * The project's credentials for the registry `image` is pulled from (for a build step: pushed to),
 * decrypted with `open`; none when the image is empty or from another registry, so a step never
 * carries a password it does not use.
 */
export function registryCredentialsFor(
  image: string,
  stored: StoredRegistryCredential[],
  open: (passwordEnc: string) => string,
): RegistryCredential[] {
  if (!image) return [];
  const server = registryOf(image);
  return stored
    .filter((c) => c.server === server)
    .map((c) => ({ server: c.server, username: c.username, password: open(c.passwordEnc) }));
}
