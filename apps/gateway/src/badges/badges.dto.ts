import { ApiPropertyOptional } from '../common/api-docs';
import { IsOptional, IsString, Length } from 'class-validator';

export class BadgeQuery {
  @ApiPropertyOptional({ description: 'pipeline id or name (default: any pipeline of the project)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  pipeline?: string;

  @ApiPropertyOptional({ example: 'main', description: 'only runs on this branch' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  branch?: string;
}
