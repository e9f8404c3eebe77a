import { Body, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { PageQuery } from '../common/pagination';
import { CreatedUserJson, CreateUserDto, MeJson } from './users.dto';
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
  @PlatformAdmin()
  @ApiOperation({ summary: 'List users (platform admins)' })
  list(@Query() query: PageQuery) {
    return this.users.list(query);
  }
}
