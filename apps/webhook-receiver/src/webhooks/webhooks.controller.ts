import { Controller, HttpCode, Param, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { DeliveryAnswer } from './delivery-answer';
import { DeliveryIntakeService } from './delivery-intake.service';

/** The public webhook door: every answer to a delivery that was read and verified is a 202. */
@Controller()
export class WebhooksController {
  constructor(private readonly intake: DeliveryIntakeService) {}

  /** GitHub or GitLab; the project is found by the repository the delivery is about. */
  @Post('webhooks/:provider')
  @HttpCode(202)
  byRepository(
    @Param('provider') provider: string,
    @Req() req: RawBodyRequest<Request>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeliveryAnswer> {
    return this.intake.receive({ provider }, req, res);
  }

  /** One pipeline's own webhook URL (seed 000). */
  @Post('pipelines/:id/webhook/:provider')
  @HttpCode(202)
  byPipeline(
    @Param('id') pipelineId: string,
    @Param('provider') provider: string,
    @Req() req: RawBodyRequest<Request>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeliveryAnswer> {
    return this.intake.receive({ provider, pipelineId }, req, res);
  }
}
