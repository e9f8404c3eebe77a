import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
} from 'class-validator';

export const WEBHOOK_EVENTS = ['build.success', 'build.failure'] as const;
const URL_RULE = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const URL_MESSAGE = { message: 'url must be an http:// or https:// URL' };
const EVENTS_MESSAGE = {
  each: true,
  message: `each value in events must be one of: ${WEBHOOK_EVENTS.join(', ')}`,
};

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/kiln' })
  @IsString()
  @MaxLength(2000)
  @IsUrl(URL_RULE, URL_MESSAGE)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, EVENTS_MESSAGE)
  events!: (typeof WEBHOOK_EVENTS)[number][];

  @ApiPropertyOptional({
    description: 'HMAC-SHA256 signing secret; generated (and shown once) when omitted',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(8, 256)
  secret?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @IsUrl(URL_RULE, URL_MESSAGE)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, EVENTS_MESSAGE)
  events?: (typeof WEBHOOK_EVENTS)[number][];

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @IsString()
  @Length(8, 256)
  secret?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class OutboundWebhookJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true }) events!: string[];
  @ApiProperty() active!: boolean;
  @ApiProperty({ nullable: true, type: Number }) last_status_code!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: String }) last_sent_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ description: 'the generated signing secret: only in the answer that created it' })
  secret?: string;
}
