import { SecretBox } from '@kiln/crypto';
import { Provider } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

/** AES-256-GCM for secrets at rest, keyed by KILN_SECRET_KEY; the context is the owning project id. */
export const SECRET_BOX = Symbol('SECRET_BOX');

export const secretBoxProvider: Provider = {
  provide: SECRET_BOX,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: GatewayConfig) => new SecretBox(config.KILN_SECRET_KEY),
};
