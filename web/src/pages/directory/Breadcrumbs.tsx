/** "Patients / Jordan Lee / Edit": where a sub-page sits, with a way back up. */
export function Breadcrumbs({ trail, current }: { trail: { label: string; href: string }[]; current: string }) {
  return (
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <ol>
        {trail.map((step) => (
          <li key={step.href}>
            <a href={step.href}>{step.label}</a>
          </li>
        ))}
        <li aria-current="page" data-testid="breadcrumb-current">
          {current}
        </li>
      </ol>
    </nav>
  );
}
