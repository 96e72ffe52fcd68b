import { statusBadges } from './display';

const TONE = { danger: 'badge-rejected', warning: 'badge-pending', neutral: '' } as const;

export function StatusBadges({ patient }: { patient: { optedOut: boolean; blocked: boolean; phoneLineType: string } }) {
  const badges = statusBadges(patient);
  if (!badges.length) return null;
  return (
    <span class="chips" data-testid="patient-status">
      {badges.map((b) => (
        <span key={b.label} class={`badge ${TONE[b.tone]}`} title={b.title}>
          {b.label}
        </span>
      ))}
    </span>
  );
}
