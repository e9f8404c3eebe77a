import { Controller, Get, Header, Param, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '../common/api-docs';
import { Request } from 'express';
import { IdParams } from '../common/params';
import { BadgeQuery } from './badges.dto';
import { BadgesService } from './badges.service';

/** Outside ApiController's guard: a public badge is served without a token, the service decides. */
@Controller('projects/:id')
@ApiTags('projects')
export class BadgesController {
  constructor(private readonly badges: BadgesService) {}

  @Get('badge.svg')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  @Header('cache-control', 'no-cache, max-age=0')
  @ApiProduces('image/svg+xml')
  @ApiOperation({
    summary:
      "SVG badge of the latest run's status (of a pipeline, on a branch); without a token only when the project's public_badge is on",
  })
  badge(@Req() req: Request, @Param() params: IdParams, @Query() query: BadgeQuery): Promise<string> {
    return this.badges.render(req, params.id, query);
  }
}
