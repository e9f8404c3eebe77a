import { ApiPropertyOptional } from '../common/api-docs';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_TAIL_LINES = 10_000;

const booleanParam = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

export class LogsQuery {
  @ApiPropertyOptional({ description: 'Server-Sent Events, as with "Accept: text/event-stream"' })
  @IsOptional()
  @Transform(booleanParam)
  @IsBoolean({ message: 'follow must be true or false' })
  follow?: boolean;

  @ApiPropertyOptional({
    description: 'text answers: each line prefixed with its time, `<ISO 8601> <line>` (`- <line>` without one); no Range, no redirect',
  })
  @IsOptional()
  @Transform(booleanParam)
  @IsBoolean({ message: 'timestamps must be true or false' })
  timestamps?: boolean;

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
