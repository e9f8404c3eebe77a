import { ApiClient } from './api/api-client';
import { configPath, resolveCredentials } from './config/cli-config';

/** What every command needs: the API (credentials read on first use) and the terminal. */
export class CliContext {
  private api?: ApiClient;

  constructor(
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  get configFile(): string {
    return configPath(this.env);
  }

  client(): ApiClient {
    this.api ??= new ApiClient(resolveCredentials(this.env, this.configFile));
    return this.api;
  }

  /** A line of human output. */
  print(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Notes that are not the command's result (progress, hints): stderr, so pipes stay clean. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  write(text: string): void {
    this.stdout.write(text);
  }
}
