import { useLocation } from 'preact-iso';

export type SectionTab = { href: string; label: string; testId: string };

/** A section's tabs as links; the one whose path the location is (or is under) is current. */
export function SectionTabs({ label, testId, tabs }: { label: string; testId: string; tabs: readonly SectionTab[] }) {
  const { path } = useLocation();
  return (
    <nav class="tabs" aria-label={label} data-testid={testId}>
      {tabs.map((t) => {
        const active = path === t.href || path.startsWith(`${t.href}/`);
        return (
          <a key={t.href} href={t.href} class={`tab${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid={t.testId}>
            {t.label}
          </a>
        );
      })}
    </nav>
  );
}
