import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { PageQuery } from '../common/pagination';
import { ProjectParams } from '../common/params';
import { CreatedProjectJson, CreateProjectDto, ProjectJson, UpdateProjectDto } from './projects.dto';
import { ProjectsService } from './projects.service';

@ApiController('projects', 'projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a project (the caller becomes its admin)' })
  @ApiCreatedResponse({ type: CreatedProjectJson })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateProjectDto) {
    return this.projects.create(actor, dto);
  }

  @Get()
  @ApiPageResponse(ProjectJson)
  @ApiOperation({ summary: 'Projects the caller is a member of' })
  list(@CurrentActor() actor: Actor, @Query() query: PageQuery) {
    return this.projects.list(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ProjectJson })
  get(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.projects.get(actor, params.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a project (project admins)' })
  @ApiOkResponse({ type: ProjectJson })
  update(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Body() dto: UpdateProjectDto) {
    return this.projects.update(actor, params.id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a project with its pipelines, runs, secrets and artifacts rows (project admins)',
  })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.projects.remove(actor, params.id);
  }
}
