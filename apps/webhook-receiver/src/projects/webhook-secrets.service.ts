import { SecretBox, SecretDecryptionError } from '@kiln/crypto';
import { Forge, ReceivedDelivery } from '@kiln/forge';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOK_CONFIG, WebhookConfig } from '../config';
import { TargetProject } from './webhook-target';

const CACHE_SIZE = 1000;

/**
 * Checks a delivery against each candidate project's webhook secret (stored encrypted, bound to
 * the project id). Decrypted secrets are kept in memory by ciphertext (a changed secret is a new
 * ciphertext), at most CACHE_SIZE of them, and never logged.
 */
@Injectable()
export class WebhookSecretsService {
  private readonly logger = new Logger(WebhookSecretsService.name);
  private readonly box: SecretBox;
  private readonly decrypted = new Map<string, string>();

  constructor(@Inject(WEBHOOK_CONFIG) config: WebhookConfig) {
    this.box = new SecretBox(config.KILN_SECRET_KEY);
  }

  /** The candidates whose secret signed the delivery (usually one; none means 401). */
  async verified(
    forge: Forge,
    candidates: TargetProject[],
    delivery: ReceivedDelivery,
  ): Promise<TargetProject[]> {
    const checks = await Promise.all(
      candidates.map(async (project) => {
        const secret = this.secretOf(project);
        return secret !== undefined && (await forge.verify(secret, delivery));
      }),
    );
    return candidates.filter((_, i) => checks[i]);
  }

  private secretOf(project: TargetProject): string | undefined {
    if (!project.webhookSecretEnc) return undefined;
    const key = `${project.id}:${project.webhookSecretEnc}`;
    const known = this.decrypted.get(key);
    if (known !== undefined) return known;
    try {
      const secret = this.box.decrypt(project.webhookSecretEnc, project.id);
      this.decrypted.set(key, secret);
      // Maps keep insertion order: the first key is the one decrypted longest ago.
      if (this.decrypted.size > CACHE_SIZE) this.decrypted.delete(this.decrypted.keys().next().value!);
      return secret;
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      // A changed KILN_SECRET_KEY or a copied row: deliveries for this project fail with 401 until fixed.
      this.logger.warn({ projectId: project.id }, 'the webhook secret of a project cannot be decrypted');
      return undefined;
    }
  }
}
