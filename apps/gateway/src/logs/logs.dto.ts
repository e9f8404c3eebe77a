import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_TAIL_LINES = 10_000;

export class LogsQuery {
  @ApiPropertyOptional({ description: 'Server-Sent Events, as with "Accept: text/event-stream"' })
  @IsOptional()
  @Transform(({ value }) =>
    value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value,
  )
  @IsBoolean({ message: 'follow must be true or false' })
  follow?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TAIL_LINES, description: 'only the last N lines' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'tail must be an integer' })
  @Min(1)
  @Max(MAX_TAIL_LINES)
  tail?: number;

  @ApiPropertyOptional({
    minimum: 1,
    description: "an earlier attempt of a retried step (its archived text); default: the step's current attempt",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'attempt must be an integer' })
  @Min(1)
  attempt?: number;
}
