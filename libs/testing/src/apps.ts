// The app launcher is production code (`pnpm start` uses it); tests reach it through here too.
export { APP_NAMES, PORT_VARIABLES, startApps } from '@kiln/launcher';
export type { AppName, RunningApps } from '@kiln/launcher';
