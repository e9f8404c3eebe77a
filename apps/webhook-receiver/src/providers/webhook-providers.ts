import { Injectable } from '@nestjs/common';
import { WebhookTargetNotFoundError } from '../http/webhook.errors';
import { GithubProvider } from './github.provider';
import { GitlabProvider } from './gitlab.provider';
import { WebhookProviderAdapter } from './webhook-provider';

/** The providers a route may name: `github` and `gitlab`. */
@Injectable()
export class WebhookProviders {
  private readonly byName: Map<string, WebhookProviderAdapter>;

  constructor(github: GithubProvider, gitlab: GitlabProvider) {
    this.byName = new Map<string, WebhookProviderAdapter>([
      [github.name, github],
      [gitlab.name, gitlab],
    ]);
  }

  get(name: string): WebhookProviderAdapter {
    const adapter = this.byName.get(name);
    if (!adapter) throw new WebhookTargetNotFoundError(`unknown provider "${name.slice(0, 40)}"; use github or gitlab`);
    return adapter;
  }
}
