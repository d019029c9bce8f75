package sqlite

import (
	"math/rand"
	"testing"
	"time"
)

// parseTS's fast path reads exactly what time.Parse reads, and leaves
// anything else to it.
func TestParseTS_SameAsTimeParse(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	inputs := []string{"", "garbage", "2026-02-30T10:00:00.000000000Z", "2026-13-01T10:00:00.000000000Z",
		"2026-01-01T24:00:00.000000000Z", "2026-01-01T10:00:00+07:00", "2026-01-01T10:00:00Z", "2026-01-01T10:00:00.5Z",
		"2024-02-29T23:59:59.999999999Z", "2023-02-29T00:00:00.000000000Z", "2026-01-01T1a:00:00.000000000Z",
		"0001-01-01T00:00:00.000000000Z", "9999-12-31T23:59:59.999999999Z"}
	for i := 0; i < 2000; i++ {
		inputs = append(inputs, ts(time.Unix(rng.Int63n(1<<34), rng.Int63n(1e9))))
	}
	for _, in := range inputs {
		want, _ := time.Parse(time.RFC3339Nano, in)
		got := parseTS(in)
		if !got.Equal(want) || got.Location().String() != want.Location().String() || got.IsZero() != want.IsZero() {
			t.Fatalf("parseTS(%q) = %v, time.Parse gives %v", in, got, want)
		}
	}
}

// Routing reasons decode the same whether remembered or not, and the cache
// stops growing at its bound.
func TestTextCache(t *testing.T) {
	c := textCache{max: 3}
	for round := 0; round < 2; round++ {
		for i, raw := range []string{`{"vi":"Theo lĩnh vực","en":"By category"}`, `{"vi":"a"}`, ``, `not json`, `{"vi":"b"}`, `{"vi":"c"}`} {
			got := c.decode(raw)
			switch i {
			case 0:
				if got.Vi != "Theo lĩnh vực" || got.En != "By category" {
					t.Fatalf("round %d: %+v", round, got)
				}
			case 1:
				if got.Vi != "a" {
					t.Fatalf("round %d: %+v", round, got)
				}
			case 2, 3:
				if got.Vi != "" || got.En != "" {
					t.Fatalf("round %d, %q: %+v", round, raw, got)
				}
			}
		}
	}
	if n := c.n.Load(); n != 3 {
		t.Fatalf("remembered %d values, want the bound 3", n)
	}
}
