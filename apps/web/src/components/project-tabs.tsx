import { href, Route } from '../routes';

/** The sections of one project: its runs, its pipelines, its settings. */
export function ProjectTabs({
  projectId,
  current,
}: {
  projectId: string;
  current: 'runs' | 'pipelines' | 'settings';
}) {
  const tabs: { key: typeof current; label: string; route: Route }[] = [
    { key: 'runs', label: 'Runs', route: { page: 'runs', projectId, filters: {} } },
    { key: 'pipelines', label: 'Pipelines', route: { page: 'pipelines', projectId } },
    { key: 'settings', label: 'Settings', route: { page: 'settings', projectId } },
  ];
  return (
    <nav class="tabs" aria-label="Project">
      {tabs.map((t) => (
        <a key={t.key} href={href(t.route)} aria-current={t.key === current ? 'page' : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  );
}
