/** What a member sees at an admin-only tab's address (the server refuses the data anyway). */
export function AdminOnly({ what }: { what: string }) {
  return (
    <section class="card section">
      <div class="state" data-testid="admin-only">
        <p class="state-title">Only administrators can see the {what}. Ask an admin in your organization.</p>
      </div>
    </section>
  );
}
