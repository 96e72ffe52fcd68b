import { EXAMPLE_ROWS, TEMPLATE_COLUMNS, templateHref } from './template';

/** The file format, in the words of the help page: exact lowercase headers, only phone required. */
export function ImportFormat() {
  return (
    <section class="card section" data-testid="import-format">
      <div class="section-head">
        <div>
          <h2>How the file should look</h2>
          <p class="muted">Row 1 is the header row. The names must match exactly, in lowercase, with underscores as shown.</p>
        </div>
      </div>
      <div class="example-wrap">
        <table class="example-table" data-testid="import-example">
          <thead>
            <tr>
              {TEMPLATE_COLUMNS.map((c) => (
                <th key={c}>
                  <code>{c}</code>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {EXAMPLE_ROWS.map((row) => (
              <tr key={row.join()}>
                {row.map((cell, i) => (
                  <td key={i}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul class="format-notes">
        <li>
          Only <code>phone</code> is required. Leave any other cell blank if you don't have it.
        </li>
        <li>
          Phones in any common format: (555) 123-4567, 555.123.4567, +1 555 123 4567, 5551234567. A number with an extension (ext. 12, x12) is refused: texts
          cannot reach an extension, so give a direct mobile number.
        </li>
        <li>Dates of birth as YYYY-MM-DD, MM/DD/YYYY or Mar 14, 1985 (real dates only: 02/30 is refused).</li>
        <li>At most 200 columns. A cell holding a control character (such as NUL) rejects its row.</li>
        <li>
          Rows match existing patients by phone or MRN (when they disagree, the MRN wins). A match gets the row's non-empty cells; no match creates a new
          patient. Importing the same file twice creates no duplicates.
        </li>
        <li>
          Also accepted: <code>preferred_name</code>, <code>tags</code> (separated by ;), <code>location</code>, <code>provider</code>.
        </li>
      </ul>
      <a href={templateHref()} download="patients-template.csv" class="btn btn-secondary" data-testid="download-template">
        Download a template CSV
      </a>
    </section>
  );
}
