import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { PageQuery } from '../common/pagination';
import { IdParams } from '../common/params';
import { CreatedUserJson, CreateUserDto, MeJson, UpdateUserDto, UserJson } from './users.dto';
import { UsersService } from './users.service';

@ApiController('', 'users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The calling user, its token and project memberships' })
  @ApiOkResponse({ type: MeJson })
  me(@CurrentActor() actor: Actor) {
    return this.users.me(actor);
  }

  @Post('users')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Create a user with a first API token (platform admins)' })
  @ApiCreatedResponse({ type: CreatedUserJson })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateUserDto) {
    return this.users.create(actor, dto);
  }

  @Get('users')
  @ApiPageResponse(UserJson)
  @PlatformAdmin()
  @ApiOperation({ summary: 'List users (platform admins)' })
  list(@Query() query: PageQuery) {
    return this.users.list(query);
  }

  @Get('users/:id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'One user (platform admins)' })
  @ApiOkResponse({ type: UserJson })
  get(@Param() params: IdParams) {
    return this.users.get(params.id);
  }

  @Patch('users/:id')
  @PlatformAdmin()
  @ApiOperation({ summary: "Change a user's name or email, or disable them, revoking their tokens (platform admins)" })
  @ApiOkResponse({ type: UserJson })
  update(@CurrentActor() actor: Actor, @Param() params: IdParams, @Body() dto: UpdateUserDto) {
    return this.users.update(actor, params.id, dto);
  }

  @Delete('users/:id')
  @PlatformAdmin()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user with their tokens and memberships (platform admins)' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: IdParams) {
    return this.users.remove(actor, params.id);
  }
}
