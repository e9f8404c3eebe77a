export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __kilnStops?: (() => Promise<void>)[] }).__kilnStops ?? [];
  await Promise.all(stops.map((stop) => stop()));
}
