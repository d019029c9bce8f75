// Package export writes tables of figures and responses as files people open
// in a spreadsheet: CSV that Excel reads as UTF-8, and XLSX workbooks.
//
// Both writers guard against formula injection (OWASP "CSV Injection"): text
// that came from the public, such as a free-text answer, must never run as a
// formula in the analyst's spreadsheet.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is one sheet of an export: named columns and rows of cells.
//
// A cell is a string, int, int64, float64, *float64 (nil is an empty cell),
// bool, time.Time or nil (empty). Every row has exactly one cell per column.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// bom makes Excel read a CSV file as UTF-8 rather than the system code page,
// which would garble Vietnamese text.
const bom = "\xEF\xBB\xBF"

// WriteCSV writes t as RFC 4180 CSV: a UTF-8 byte order mark, a header row of
// t.Columns, then one record per row, with CRLF line ends. Floats are written
// unrounded with a '.' decimal point, times as RFC 3339. A text cell (header
// included) that starts with = + - @, a tab or a carriage return, or their
// full-width forms, gets a leading single quote so that a spreadsheet shows
// it as text instead of running it; numbers are never altered, so -3.5
// stays -3.5.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	record := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		record[i] = neutralize(c)
	}
	if err := cw.Write(record); err != nil {
		return err
	}
	for i, row := range t.Rows {
		if err := checkWidth(t, i, row); err != nil {
			return err
		}
		for j, v := range row {
			s, err := csvCell(v)
			if err != nil {
				return fmt.Errorf("export: table %q row %d column %q: %w", t.Name, i+1, t.Columns[j], err)
			}
			record[j] = s
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell formats one cell for CSV.
func csvCell(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return neutralize(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case *float64:
		if v == nil {
			return "", nil
		}
		return strconv.FormatFloat(*v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case time.Time:
		return v.Format(time.RFC3339), nil
	default:
		return "", fmt.Errorf("unsupported cell type %T", v)
	}
}

// neutralize returns s with a leading single quote when a spreadsheet would
// read it as a formula: when it starts with = + - @, a tab or a carriage
// return, or the full-width ＝ ＋ － ＠ that some spreadsheets fold to ASCII.
// Other text is returned unchanged.
func neutralize(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}

// checkWidth reports a row whose length differs from the header's: a ragged
// CSV shifts every later column in the reader's eyes.
func checkWidth(t Table, i int, row []any) error {
	if len(row) != len(t.Columns) {
		return fmt.Errorf("export: table %q row %d has %d cells, want %d", t.Name, i+1, len(row), len(t.Columns))
	}
	return nil
}

// WriteXLSX writes the tables as one workbook, a sheet per table in order,
// named after Table.Name made acceptable to Excel (at most 31 characters,
// none of [ ] : * ? / \, unique). Each sheet has a bold header row;
// numbers are numeric cells, times are date-time cells in their own zone's
// wall clock, nil is an empty cell, and text is always a plain string cell,
// never a formula, whatever it starts with. With no tables the workbook has
// one empty sheet. Rows are streamed, so memory stays flat however many
// rows there are.
func WriteXLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()

	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}

	first := f.GetSheetName(0)
	for i, name := range sheetNames(tables) {
		if i == 0 {
			err = f.SetSheetName(first, name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return err
		}
		if err := writeSheet(f, name, tables[i], header, date); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// writeSheet streams one table into the sheet called name.
func writeSheet(f *excelize.File, name string, t Table, headerStyle, dateStyle int) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	row := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		row[i] = excelize.Cell{StyleID: headerStyle, Value: c}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for i, cells := range t.Rows {
		if err := checkWidth(t, i, cells); err != nil {
			return err
		}
		for j, v := range cells {
			x, err := xlsxCell(v, dateStyle)
			if err != nil {
				return fmt.Errorf("export: table %q row %d column %q: %w", t.Name, i+1, t.Columns[j], err)
			}
			row[j] = x
		}
		// Row i+1 of the table is sheet row i+2, below the header.
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// xlsxCell turns a cell into a value the stream writer stores with the
// right type. Strings stay strings: the stream writer makes a formula only
// from excelize.Cell.Formula, which is never set here.
func xlsxCell(v any, dateStyle int) (any, error) {
	switch v := v.(type) {
	case nil, string, int, int64, float64, bool:
		return v, nil
	case *float64:
		if v == nil {
			return nil, nil
		}
		return *v, nil
	case time.Time:
		return excelize.Cell{StyleID: dateStyle, Value: v}, nil
	default:
		return nil, fmt.Errorf("unsupported cell type %T", v)
	}
}

// maxSheetName is Excel's limit on a sheet name, in UTF-16 code units.
const maxSheetName = 31

// sheetNames returns the sheet name WriteXLSX gives each table: its Name
// with the characters Excel forbids ([ ] : * ? / \) replaced by '_' and
// control characters dropped, without leading or trailing apostrophes and
// spaces, cut to 31 characters, "Sheet" when nothing is left, and made
// unique (Excel compares names without regard to case) by a suffix " (2)",
// " (3)"...
func sheetNames(tables []Table) []string {
	names := make([]string, len(tables))
	taken := map[string]bool{}
	for i, t := range tables {
		base := sanitizeSheetName(t.Name)
		name := base
		for n := 2; taken[strings.ToLower(name)]; n++ {
			suffix := " (" + strconv.Itoa(n) + ")"
			name = strings.TrimRight(truncateUTF16(base, maxSheetName-len(suffix)), " '") + suffix
		}
		taken[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

func sanitizeSheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`[]:*?/\`, r):
			return '_'
		case r < 0x20 || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	s = strings.Trim(s, " '")
	s = strings.TrimRight(truncateUTF16(s, maxSheetName), " '")
	if s == "" {
		return "Sheet"
	}
	return s
}

// truncateUTF16 cuts s to at most n UTF-16 code units without splitting a
// character.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		k := utf16.RuneLen(r)
		if k < 0 {
			k = 1
		}
		if units+k > n {
			return s[:i]
		}
		units += k
	}
	return s
}
