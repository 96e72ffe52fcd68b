type PagerProps = {
  page: number;
  pageSize: number;
  total: number;
  /** What is being counted, for the "1–25 of 210 patients" line. */
  noun: [singular: string, plural: string];
  onPage: (page: number) => void;
  disabled?: boolean;
  testId?: string;
};

/** "1–25 of 210 patients", with Previous / Next; nothing when everything fits on one page. */
export function Pager({ page, pageSize, total, noun, onPage, disabled, testId = 'pager' }: PagerProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const label = total === 1 ? noun[0] : noun[1];
  return (
    <div class="pager" data-testid={testId}>
      <p class="muted small" data-testid={`${testId}-range`}>
        {pages > 1 ? `${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()} ${label}` : `${total.toLocaleString()} ${label}`}
      </p>
      {pages > 1 && (
        <div class="button-row">
          <span class="muted small pager-page">
            Page {page} of {pages}
          </span>
          <button type="button" class="btn btn-secondary btn-small" onClick={() => onPage(page - 1)} disabled={disabled || page <= 1} data-testid={`${testId}-previous`}>
            Previous
          </button>
          <button type="button" class="btn btn-secondary btn-small" onClick={() => onPage(page + 1)} disabled={disabled || page >= pages} data-testid={`${testId}-next`}>
            Next
          </button>
        </div>
      )}
    </div>
  );
}
