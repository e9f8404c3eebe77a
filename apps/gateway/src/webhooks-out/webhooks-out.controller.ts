import { Body, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { ProjectParams, WebhookParams } from '../common/params';
import { CreateWebhookDto, OutboundWebhookJson, UpdateWebhookDto } from './webhooks-out.dto';
import { WebhooksOutService } from './webhooks-out.service';

@ApiController('projects/:id/webhooks', 'webhooks')
export class WebhooksOutController {
  constructor(private readonly webhooks: WebhooksOutService) {}

  @Post()
  @ApiOperation({ summary: 'Add an outbound webhook, HMAC-signed with its secret (project admins)' })
  @ApiCreatedResponse({ type: OutboundWebhookJson })
  create(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(actor, params.id, dto);
  }

  @Get()
  @ApiPageResponse(OutboundWebhookJson)
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.webhooks.list(actor, params.id);
  }

  @Get(':wid')
  @ApiOkResponse({ type: OutboundWebhookJson })
  get(@CurrentActor() actor: Actor, @Param() params: WebhookParams) {
    return this.webhooks.get(actor, params.id, params.wid);
  }

  @Patch(':wid')
  @ApiOkResponse({ type: OutboundWebhookJson })
  update(@CurrentActor() actor: Actor, @Param() params: WebhookParams, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(actor, params.id, params.wid, dto);
  }

  @Delete(':wid')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: WebhookParams) {
    return this.webhooks.remove(actor, params.id, params.wid);
  }
}
