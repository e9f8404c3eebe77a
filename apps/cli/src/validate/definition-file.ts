import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';

/** A definition file's text; a missing or unreadable file is a usage error naming it. */
export function readDefinitionFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${file}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory, not a definition file`);
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}
