import {
  Controller,
  Get,
  Headers,
  Param,
  Put,
  Query,
  Req,
  Res,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import { attachmentDisposition } from '@kiln/storage';
import { Request, Response } from 'express';
import { InternalTokenGuard } from '../common/internal-token.guard';
import { ArtifactsService } from './artifacts.service';
import { parseDownloadRequest } from './download-request';
import { parseUploadRequest } from './upload-request';

/** Internal API for executors (uploads) and gateways on the fs store (downloads). */
@Controller('internal/artifacts')
@UseGuards(InternalTokenGuard)
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  /** Body: the file's raw bytes. 201 for a new object path, 200 when it replaced an earlier upload. */
  @Put(':runId/:name')
  async upload(
    @Param('runId') runId: string,
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const stored = await this.artifacts.store(
      parseUploadRequest({ runId, name, query, headers: req.headers }),
      req,
    );
    res.status(stored.created ? 201 : 200);
    return stored.body;
  }

  @Get(':id/download')
  async download(
    @Param('id') id: string,
    @Headers('x-project-id') projectId: unknown,
  ): Promise<StreamableFile> {
    const request = parseDownloadRequest(id, projectId);
    const file = await this.artifacts.download(request.id, request.projectId);
    return new StreamableFile(file.stream, {
      type: file.contentType,
      length: file.size,
      disposition: attachmentDisposition(file.filename),
    });
  }
}
