import { Controller, Get, Param, Put, Query, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { Request, Response } from 'express';
import { NotFoundError } from '@kiln/errors';
import { InternalTokenGuard } from '../common/internal-token.guard';
import { parseCacheAddress, parseCacheLookup } from './cache-request';
import { CachesService } from './caches.service';

/** The header naming the entry a restore found (the key, or the newest match of a restore key). */
export const CACHE_KEY_HEADER = 'x-kiln-cache-key';

/** Internal API for executors: step caches, saved after a step and restored before one. */
@Controller('internal/caches')
@UseGuards(InternalTokenGuard)
export class CachesController {
  constructor(private readonly caches: CachesService) {}

  /** Body: the gzipped tar. 201 when stored, 200 (body unread) when the key has an entry already. */
  @Put(':project/:key')
  async save(
    @Param('project') project: string,
    @Param('key') key: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const length = req.headers['content-length'];
    const saved = await this.caches.save(
      parseCacheAddress(project, key),
      req,
      length === undefined ? undefined : Number(length),
    );
    // The body was not read: closing is cheaper than draining an archive nobody wants.
    if (!saved.created) res.setHeader('Connection', 'close');
    res.status(saved.created ? 201 : 200);
    return saved;
  }

  @Get(':project/:key')
  async restore(
    @Param('project') project: string,
    @Param('key') key: string,
    @Query('restore') restore: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const entry = await this.caches.open(parseCacheLookup(project, key, restore));
    if (!entry) throw new NotFoundError(`no cache entry for "${key}" or its restore keys`);
    res.setHeader(CACHE_KEY_HEADER, entry.key);
    return new StreamableFile(entry.stream, { type: 'application/gzip', length: entry.size });
  }
}
