package feedback

import (
	"encoding/json"
	"testing"

	"camaug/internal/i18n"
)

func square(lng0, lat0, lng1, lat1 float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{lng0, lat0}, {lng1, lat0}, {lng1, lat1}, {lng0, lat1}, {lng0, lat0}}}})
	return b
}

func TestPlace(t *testing.T) {
	ref := &Reference{Areas: []Area{
		{Code: "tinh", Name: i18n.T("Tỉnh", "Province"), Level: LevelProvince, Boundary: square(104.7, 8.5, 105.9, 9.7)},
		{Code: "phuong-1", Name: i18n.T("Phường 1", "Ward 1"), Level: LevelWard, ParentCode: "tinh", Boundary: square(105.10, 9.15, 105.20, 9.20)},
		{Code: "xa-2", Name: i18n.T("Xã 2", "Commune 2"), Level: LevelCommune, ParentCode: "tinh"}, // no boundary loaded
	}}
	tests := []struct {
		name, chosen string
		p            Point
		want         string
		field        string
	}{
		{"inside a ward boundary", "", Point{Lat: 9.17, Lng: 105.15}, "phuong-1", ""},
		{"chosen area without boundary", "xa-2", Point{Lat: 9.5, Lng: 105.5}, "xa-2", ""},
		{"in the province only", "", Point{Lat: 9.5, Lng: 105.5}, "tinh", ""},
		{"a boundary beats a shallower choice", "tinh", Point{Lat: 9.17, Lng: 105.15}, "phuong-1", ""},
		{"chosen ward does not hold the point", "phuong-1", Point{Lat: 9.5, Lng: 105.5}, "", "area_code"},
		{"unknown area", "quan-9", Point{Lat: 9.5, Lng: 105.5}, "", "area_code"},
		{"outside the province", "", Point{Lat: 21.03, Lng: 105.85}, "", "location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fe := place(ref, tt.p, tt.chosen)
			switch {
			case tt.field != "" && (fe == nil || fe.Field != tt.field):
				t.Fatalf("got %q, %+v; want an error on %s", got, fe, tt.field)
			case tt.field == "" && (fe != nil || got != tt.want):
				t.Fatalf("got %q, %+v; want %s", got, fe, tt.want)
			}
		})
	}
}
