import { Body, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { MemberParams, ProjectParams } from '../common/params';
import { AddMemberDto, MemberJson, UpdateMemberDto } from './members.dto';
import { MembersService } from './members.service';

@ApiController('projects/:id/members', 'members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @ApiPageResponse(MemberJson)
  @ApiOperation({ summary: "A project's members and their roles" })
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.members.list(actor, params.id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a member (project admins)' })
  @ApiCreatedResponse({ type: MemberJson })
  add(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Body() dto: AddMemberDto) {
    return this.members.add(actor, params.id, dto);
  }

  @Patch(':user_id')
  @ApiOperation({ summary: "Change a member's role (project admins)" })
  @ApiOkResponse({ type: MemberJson })
  update(@CurrentActor() actor: Actor, @Param() params: MemberParams, @Body() dto: UpdateMemberDto) {
    return this.members.update(actor, params.id, params.user_id, dto.role);
  }

  @Delete(':user_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (project admins)' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: MemberParams) {
    return this.members.remove(actor, params.id, params.user_id);
  }
}
