import { Body, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '../common/api-docs';
import { ApiController } from '../auth/api-controller.decorator';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { lintDefinition } from './definition-check';
import { ValidateDefinitionDto, ValidationResultJson } from './pipelines.dto';

@ApiController('pipelines', 'pipelines')
export class ValidateController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lint a definition: every problem with its YAML path and line' })
  @ApiOkResponse({ type: ValidationResultJson })
  validate(@Body() dto: ValidateDefinitionDto) {
    return lintDefinition(dto.yaml_config, dto.explain, this.config.KILN_CIRCLECI_RESOURCE_CLASSES);
  }
}
