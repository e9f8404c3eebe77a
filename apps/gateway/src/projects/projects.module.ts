import { repoGuardFrom, RepoGuard } from '@kiln/net-guard';
import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { ProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';

@Module({
  controllers: [ProjectsController],
  providers: [
    ProjectsService,
    {
      provide: RepoGuard,
      useFactory: (config: GatewayConfig) => repoGuardFrom(config),
      inject: [GATEWAY_CONFIG],
    },
  ],
})
export class ProjectsModule {}
