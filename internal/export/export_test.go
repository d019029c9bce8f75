package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func ptr(f float64) *float64 { return &f }

var hcm = time.FixedZone("ICT", 7*3600)

// sample holds every kind of cell, and text that spreadsheets would run.
var sample = Table{
	Name:    "Chỉ số SIPAS",
	Columns: []string{"key", "label", "value", "n", "ci_low", "suppressed", "at"},
	Rows: [][]any{
		{"so-xay-dung", "Sở Xây dựng", 87.5, 40, ptr(-3.5), false, time.Date(2026, 11, 3, 9, 30, 0, 0, hcm)},
		{"xa-tan-thanh", "Xã Tân Thành, Cà Mau", nil, int64(3), (*float64)(nil), true, time.Date(2026, 12, 31, 23, 59, 59, 0, hcm)},
		{"=HYPERLINK(\"http://evil.example\",\"bấm vào\")", "+1", -3.5, -2, ptr(0.1), true, nil},
		{"-cmd|' /C calc'!A0", "@SUM(A1:A2)", 1e-7, 0, ptr(123456789.125), false, nil},
		{"\tTAB", "\rCR", 2.0, 1, nil, false, nil},
		{"＝1+1", "＠x", 0.0, 1, nil, false, nil},
		{"a=b", "không ý kiến", 100.0, 1, nil, false, nil},
	},
}

// wantCSV is what sample reads back as from the CSV, cell by cell.
var wantCSV = [][]string{
	{"key", "label", "value", "n", "ci_low", "suppressed", "at"},
	{"so-xay-dung", "Sở Xây dựng", "87.5", "40", "-3.5", "false", "2026-11-03T09:30:00+07:00"},
	{"xa-tan-thanh", "Xã Tân Thành, Cà Mau", "", "3", "", "true", "2026-12-31T23:59:59+07:00"},
	{"'=HYPERLINK(\"http://evil.example\",\"bấm vào\")", "'+1", "-3.5", "-2", "0.1", "true", ""},
	{"'-cmd|' /C calc'!A0", "'@SUM(A1:A2)", "0.0000001", "0", "123456789.125", "false", ""},
	// encoding/csv writes line breaks in a field as CRLF and drops a lone CR.
	{"'\tTAB", "'CR", "2", "1", "", "false", ""},
	{"'＝1+1", "'＠x", "0", "1", "", "false", ""},
	{"a=b", "không ý kiến", "100", "1", "", "false", ""},
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sample); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasPrefix(out, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("got prefix % x, want the UTF-8 BOM EF BB BF", out[:min(3, len(out))])
	}
	body := out[3:]

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(wantCSV) {
			t.Fatalf("got %d records, want %d", len(got), len(wantCSV))
		}
		for i := range wantCSV {
			for j := range wantCSV[i] {
				if got[i][j] != wantCSV[i][j] {
					t.Errorf("record %d field %d: got %q, want %q", i, j, got[i][j], wantCSV[i][j])
				}
			}
		}
	})

	t.Run("CRLF", func(t *testing.T) {
		// Every record, and every line break within a field, ends in \r\n.
		lines := strings.Split(string(body), "\r\n")
		if last := lines[len(lines)-1]; last != "" {
			t.Errorf("got %q after the last CRLF, want nothing", last)
		}
		if strings.Contains(strings.ReplaceAll(string(body), "\r\n", ""), "\n") {
			t.Error("found a line ending without CR")
		}
	})

	t.Run("RaggedRow", func(t *testing.T) {
		bad := Table{Name: "t", Columns: []string{"a", "b"}, Rows: [][]any{{"x"}}}
		if err := WriteCSV(io.Discard, bad); err == nil {
			t.Error("got no error for a row shorter than the header")
		}
	})

	t.Run("UnsupportedType", func(t *testing.T) {
		bad := Table{Name: "t", Columns: []string{"a"}, Rows: [][]any{{struct{}{}}}}
		if err := WriteCSV(io.Discard, bad); err == nil {
			t.Error("got no error for a struct cell")
		}
	})
}

func TestNeutralize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+84912345678", "'+84912345678"},
		{"-", "'-"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"＝1", "'＝1"},
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠a", "'＠a"},
		{"Ngập nước", "Ngập nước"},
		{" =1", " =1"},
		{"'=1", "'=1"},
	}
	for _, tt := range tests {
		if got := neutralize(tt.in); got != tt.want {
			t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSheetNames(t *testing.T) {
	long := strings.Repeat("Chỉ số hài lòng ", 4)
	got := sheetNames([]Table{
		{Name: "SIPAS"},
		{Name: "sipas"},
		{Name: "a[b]:c*d?e/f\\g"},
		{Name: ""},
		{Name: "'quoted'"},
		{Name: long},
		{Name: long},
		{Name: strings.Repeat("😀", 20)},
	})
	want := []string{
		"SIPAS",
		"sipas (2)",
		"a_b__c_d_e_f_g",
		"Sheet",
		"quoted",
		"Chỉ số hài lòng Chỉ số hài lòng",
		"Chỉ số hài lòng Chỉ số hài (2)",
		strings.Repeat("😀", 15),
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestWriteXLSX(t *testing.T) {
	months := Table{
		Name:    "Theo tháng: 2026/11",
		Columns: []string{"month", "value"},
		Rows:    [][]any{{"2026-11", 91.25}},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, sample, months); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	t.Run("SheetNames", func(t *testing.T) {
		got := f.GetSheetList()
		want := []string{"Chỉ số SIPAS", "Theo tháng_ 2026_11"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got sheets %q, want %q", got, want)
		}
	})

	sheet := "Chỉ số SIPAS"
	value := func(t *testing.T, cell string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("Header", func(t *testing.T) {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(rows[0]) != fmt.Sprint(sample.Columns) {
			t.Errorf("got header %q, want %q", rows[0], sample.Columns)
		}
		if len(rows) != len(sample.Rows)+1 {
			t.Errorf("got %d rows, want %d", len(rows), len(sample.Rows)+1)
		}
		style, err := f.GetCellStyle(sheet, "A1")
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.GetStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		if s.Font == nil || !s.Font.Bold {
			t.Error("header cell A1 is not bold")
		}
	})

	t.Run("Numbers", func(t *testing.T) {
		for _, c := range []struct{ cell, want string }{
			{"C2", "87.5"}, {"D2", "40"}, {"E2", "-3.5"}, {"C4", "-3.5"}, {"D4", "-2"},
		} {
			typ, err := f.GetCellType(sheet, c.cell)
			if err != nil {
				t.Fatal(err)
			}
			// OOXML's default cell type (no t attribute) is a number.
			if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s: got cell type %v, want a number", c.cell, typ)
			}
			if got := value(t, c.cell); got != c.want {
				t.Errorf("%s: got %q, want %q", c.cell, got, c.want)
			}
		}
		if typ, _ := f.GetCellType(sheet, "B2"); typ != excelize.CellTypeInlineString {
			t.Errorf("B2: got cell type %v, want an inline string", typ)
		}
		if typ, _ := f.GetCellType(sheet, "F2"); typ != excelize.CellTypeBool {
			t.Errorf("F2: got cell type %v, want a boolean", typ)
		}
	})

	t.Run("EmptyCells", func(t *testing.T) {
		for _, cell := range []string{"C3", "E3", "G4"} {
			if got := value(t, cell); got != "" {
				t.Errorf("%s: got %q, want empty", cell, got)
			}
		}
	})

	t.Run("Time", func(t *testing.T) {
		got, err := f.GetCellValue(sheet, "G2", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		// 2026-11-03 09:30 wall clock in +07:00, as an Excel serial date.
		if !strings.HasPrefix(got, "46329.395833") {
			t.Errorf("G2: got raw %q, want the serial date 46329.3958333…", got)
		}
	})

	t.Run("FormulaLookingTextStaysText", func(t *testing.T) {
		for _, c := range []struct{ cell, want string }{
			{"A4", "=HYPERLINK(\"http://evil.example\",\"bấm vào\")"},
			{"B4", "+1"},
			{"A5", "-cmd|' /C calc'!A0"},
			{"B5", "@SUM(A1:A2)"},
		} {
			formula, err := f.GetCellFormula(sheet, c.cell)
			if err != nil {
				t.Fatal(err)
			}
			if formula != "" {
				t.Errorf("%s: got formula %q, want none", c.cell, formula)
			}
			if typ, _ := f.GetCellType(sheet, c.cell); typ != excelize.CellTypeInlineString {
				t.Errorf("%s: got cell type %v, want an inline string", c.cell, typ)
			}
			if got := value(t, c.cell); got != c.want {
				t.Errorf("%s: got %q, want the literal %q", c.cell, got, c.want)
			}
		}
	})

	t.Run("Vietnamese", func(t *testing.T) {
		if got := value(t, "B3"); got != "Xã Tân Thành, Cà Mau" {
			t.Errorf("B3: got %q", got)
		}
	})

	t.Run("RaggedRow", func(t *testing.T) {
		bad := Table{Name: "t", Columns: []string{"a", "b"}, Rows: [][]any{{"x", 1, 2}}}
		if err := WriteXLSX(io.Discard, bad); err == nil {
			t.Error("got no error for a row longer than the header")
		}
	})
}

func TestWriteXLSX_NoTables(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := len(f.GetSheetList()); got != 1 {
		t.Errorf("got %d sheets, want 1", got)
	}
}

// BenchmarkWriteXLSX writes a 100k × 10 sheet, the size of a province-wide
// raw-response export.
func BenchmarkWriteXLSX(b *testing.B) {
	tbl := Table{Name: "responses"}
	for i := range 10 {
		tbl.Columns = append(tbl.Columns, fmt.Sprintf("q%02d", i))
	}
	tbl.Rows = make([][]any, 100_000)
	for i := range tbl.Rows {
		tbl.Rows[i] = []any{
			fmt.Sprintf("%026d", i), 1, "so-xay-dung", "xa-tan-thanh", "2026-11",
			"5", "4", ptr(float64(i % 7)), float64(i) / 3, "Phục vụ tận tình",
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, tbl); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteCSV is the same table as CSV.
func BenchmarkWriteCSV(b *testing.B) {
	tbl := Table{Name: "responses"}
	for i := range 10 {
		tbl.Columns = append(tbl.Columns, fmt.Sprintf("q%02d", i))
	}
	tbl.Rows = make([][]any, 100_000)
	for i := range tbl.Rows {
		tbl.Rows[i] = []any{
			fmt.Sprintf("%026d", i), 1, "so-xay-dung", "xa-tan-thanh", "2026-11",
			"5", "4", ptr(float64(i % 7)), float64(i) / 3, "Phục vụ tận tình",
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, tbl); err != nil {
			b.Fatal(err)
		}
	}
}
