import { Body, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { ProjectParams, SecretParams } from '../common/params';
import { PutSecretDto, SecretJson } from './secrets.dto';
import { SecretsService } from './secrets.service';

@ApiController('projects/:id/secrets', 'secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Get()
  @ApiPageResponse(SecretJson)
  @ApiOperation({ summary: 'Names of the project secrets (values are never returned)' })
  names(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.secrets.names(actor, params.id);
  }

  @Put(':name')
  @ApiOperation({ summary: 'Create or replace a secret (project admins)' })
  @ApiOkResponse({ type: SecretJson })
  put(@CurrentActor() actor: Actor, @Param() params: SecretParams, @Body() dto: PutSecretDto) {
    return this.secrets.put(actor, params.id, params.name, dto.value);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a secret (project admins)' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: SecretParams) {
    return this.secrets.remove(actor, params.id, params.name);
  }
}
