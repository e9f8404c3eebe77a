import { Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty } from '../common/api-docs';
import { Request } from 'express';
import { ApiController } from '../auth/api-controller.decorator';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

export class PlatformJson {
  @ApiProperty({
    example: 'https://hooks.example.com',
    description: "the webhook receiver's base URL for providers",
  })
  webhook_url!: string;
}

@ApiController('platform', 'platform')
export class PlatformController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get()
  @ApiOperation({ summary: 'Addresses users configure elsewhere (the webhook URL for GitHub/GitLab)' })
  @ApiOkResponse({ type: PlatformJson })
  get(@Req() req: Request): PlatformJson {
    // Unset: the receiver is taken to run beside the gateway, on the same host as the caller used.
    const url =
      this.config.KILN_WEBHOOK_URL ?? `${req.protocol}://${req.hostname}:${this.config.KILN_WEBHOOK_PORT}`;
    return { webhook_url: url.replace(/\/+$/, '') };
  }
}
