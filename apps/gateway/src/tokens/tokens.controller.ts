import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { IdParams } from '../common/params';
import { PageQuery } from '../common/pagination';
import { CreatedTokenJson, CreateTokenDto, TokenJson } from './tokens.dto';
import { TokensService } from './tokens.service';

@ApiController('tokens', 'tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API token for the calling user (the value is shown once)' })
  @ApiCreatedResponse({ type: CreatedTokenJson })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateTokenDto) {
    return this.tokens.create(actor, dto);
  }

  @Get()
  @ApiPageResponse(TokenJson)
  @ApiOperation({ summary: "The calling user's tokens (never their values)" })
  list(@CurrentActor() actor: Actor, @Query() query: PageQuery) {
    return this.tokens.list(actor, query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token' })
  @ApiNoContentResponse()
  revoke(@CurrentActor() actor: Actor, @Param() params: IdParams) {
    return this.tokens.revoke(actor, params.id);
  }
}
