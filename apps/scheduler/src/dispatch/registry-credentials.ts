import { RegistryCredential } from '@kiln/contracts';
import { registryOf } from '@kiln/definition';

export interface StoredRegistryCredential {
  server: string;
  username: string;
  passwordEnc: string;
}

/**
 * The project's credentials for the registry the step's image is pulled from, decrypted with
 * `open`; none for a step whose image comes from another registry (or that has no image), so a
 * step never carries a password it does not pull with.
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
