package query

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kscan-io/kscan/internal/termsafe"
)

// Formats are the output formats of kscan query.
var Formats = []string{"table", "json", "csv", "count"}

// Write renders a result: a table with a header of the columns, a JSON
// array of row objects, CSV with a header line, or the number of rows.
func Write(w io.Writer, format string, r *Result) error {
	switch format {
	case "count":
		_, err := fmt.Fprintln(w, len(r.Rows))
		return err
	case "json":
		rows := r.Rows
		if rows == nil {
			rows = []map[string]any{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(r.Columns); err != nil {
			return err
		}
		for _, row := range r.Rows {
			if err := cw.Write(r.Cells(row)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "table", "":
		if len(r.Rows) == 0 {
			_, err := fmt.Fprintln(w, "No results.")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		head := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			head[i] = strings.ToUpper(c)
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		for _, row := range r.Rows {
			cells := r.Cells(row)
			for i, c := range cells {
				// Values come from the scanned inputs: no terminal escapes,
				// no tabs or newlines breaking the table.
				cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(termsafe.String(c))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	}
	return fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
}
