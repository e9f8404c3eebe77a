import { Body, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { ProjectParams, RegistryParams } from '../common/params';
import { PutRegistryCredentialDto, RegistryCredentialJson } from './registries.dto';
import { RegistriesService } from './registries.service';

@ApiController('projects/:id/registries', 'registries')
export class RegistriesController {
  constructor(private readonly registries: RegistriesService) {}

  @Get()
  @ApiPageResponse(RegistryCredentialJson)
  @ApiOperation({
    summary: "The project's registry credentials: server and username (passwords are never returned)",
  })
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.registries.list(actor, params.id);
  }

  @Put(':server')
  @ApiOperation({ summary: 'Create or replace the credentials for one registry host (project admins)' })
  @ApiOkResponse({ type: RegistryCredentialJson })
  put(@CurrentActor() actor: Actor, @Param() params: RegistryParams, @Body() dto: PutRegistryCredentialDto) {
    return this.registries.put(actor, params.id, params.server, dto);
  }

  @Delete(':server')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the credentials for one registry host (project admins)' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: RegistryParams) {
    return this.registries.remove(actor, params.id, params.server);
  }
}
