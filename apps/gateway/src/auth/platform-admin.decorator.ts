import { SetMetadata } from '@nestjs/common';

export const PLATFORM_ADMIN = 'kiln:platform-admin';

/** The route is for platform admins only (AuthGuard answers 403 to anyone else). */
export const PlatformAdmin = () => SetMetadata(PLATFORM_ADMIN, true);
