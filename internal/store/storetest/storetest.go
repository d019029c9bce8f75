// Package storetest is the conformance suite every store implementation
// runs: the same behaviour and the same error codes on SQLite and MongoDB.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/lease"
	"camaug/survey"
)

// Stores is one fresh, empty set of stores.
type Stores struct {
	Reference feedback.ReferenceStore
	Identity  identity.Store
	Reports   feedback.ReportStore
	Media     feedback.MediaStore
	Ratings   feedback.RatingStore
	Surveys   survey.Store
	Leases    lease.Store
}

// Run runs the whole suite; newStores must return empty stores each call.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("Categories", func(t *testing.T) {
		testEntity(t, newStores, func(s Stores) feedback.EntityStore[feedback.Category] { return s.Reference.Categories() },
			func(code string) feedback.Category {
				return feedback.Category{Code: code, Name: i18n.T("Ngập nước – "+code, "Flooding "+code), UrgentCapable: true,
					SLA: &feedback.SLA{DispatchHours: 1.5}}
			},
			feedback.Category{Code: "Bad Code", Name: i18n.T("", "no Vietnamese name")},
			func(c feedback.Category) feedback.Category {
				c.Name.Vi = "Đường sá hư hỏng"
				c.SortOrder = 7
				return c
			})
	})
	t.Run("Agencies", func(t *testing.T) {
		testEntity(t, newStores, func(s Stores) feedback.EntityStore[feedback.Agency] { return s.Reference.Agencies() },
			func(code string) feedback.Agency {
				return feedback.Agency{Code: code, Name: i18n.T("Sở Xây dựng "+code, "Department of Construction"), Kind: feedback.AgencyDepartment, Active: true}
			},
			feedback.Agency{Code: "so-x", Name: i18n.T("Sở X", ""), Kind: "ministry"},
			func(a feedback.Agency) feedback.Agency {
				a.Active = false
				a.Contact = feedback.Contact{Phone: "0290 3831 234"}
				return a
			})
	})
	t.Run("Areas", func(t *testing.T) {
		testEntity(t, newStores, func(s Stores) feedback.EntityStore[feedback.Area] { return s.Reference.Areas() },
			func(code string) feedback.Area {
				return feedback.Area{Code: code, Name: i18n.T("Phường "+code, "Ward "+code), Level: feedback.LevelWard, ParentCode: "ca-mau",
					Boundary: json.RawMessage(`{"type":"Polygon","coordinates":[[[105.1,9.1],[105.2,9.1],[105.2,9.2],[105.1,9.1]]]}`)}
			},
			feedback.Area{Code: "phuong-x", Name: i18n.T("Phường X", ""), Level: feedback.LevelWard,
				Boundary: json.RawMessage(`{"type":"Point","coordinates":[105.1,9.1]}`)},
			func(a feedback.Area) feedback.Area { a.Level = feedback.LevelCommune; a.Boundary = nil; return a })
	})
	t.Run("RoutingRules", func(t *testing.T) {
		testEntity(t, newStores, func(s Stores) feedback.EntityStore[feedback.RoutingRule] { return s.Reference.RoutingRules() },
			func(code string) feedback.RoutingRule {
				return feedback.RoutingRule{Code: code, CategoryCode: "cap-thoat-nuoc", AgencyCode: "cap-nuoc-ca-mau"}
			},
			feedback.RoutingRule{Code: "r-1"},
			func(r feedback.RoutingRule) feedback.RoutingRule { r.AreaCode = "phuong-an-xuyen"; return r })
	})
	t.Run("Calendar", func(t *testing.T) { testCalendar(t, newStores(t).Reference) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, newStores(t).Reference) })
	t.Run("ReplaceIsAtomicForReaders", func(t *testing.T) { testReplaceAtomic(t, newStores(t).Reference) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStores(t).Reference.Audit()) })
	t.Run("Identity", func(t *testing.T) { runIdentity(t, newStores) })
	t.Run("Reports", func(t *testing.T) { runReports(t, newStores) })
	t.Run("Surveys", func(t *testing.T) { runSurveys(t, newStores) })
	t.Run("SupportDuringTransition", func(t *testing.T) { testSupportDuringTransition(t, newStores(t).Reports) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, newStores(t).Leases) })
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("got error %v (code %q), want code %s", err, got, code)
	}
}

// sameJSON fails unless got and want encode to the same JSON value.
func sameJSON(t *testing.T, got, want any) {
	t.Helper()
	var g, w any
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	json.Unmarshal(gb, &g)
	json.Unmarshal(wb, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got %s, want %s", gb, wb)
	}
}

func testEntity[T feedback.Entity](t *testing.T, newStores func(*testing.T) Stores,
	store func(Stores) feedback.EntityStore[T], valid func(code string) T, invalid T, change func(T) T) {
	ctx := context.Background()

	t.Run("CreateGetListUpdateDelete", func(t *testing.T) {
		s := store(newStores(t))
		list, err := s.List(ctx)
		if err != nil || len(list) != 0 {
			t.Fatalf("empty store: got %v, %v; want no items", list, err)
		}
		b, a := valid("b-2"), valid("a-1")
		for _, v := range []T{b, a} {
			if err := s.Create(ctx, v); err != nil {
				t.Fatalf("Create(%s): %v", v.RefKey(), err)
			}
		}
		got, err := s.Get(ctx, "a-1")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, a)
		list, err = s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, list, []T{a, b})

		a2 := change(a)
		if err := s.Update(ctx, a2); err != nil {
			t.Fatalf("Update: %v", err)
		}
		got, _ = s.Get(ctx, "a-1")
		sameJSON(t, got, a2)

		if err := s.Delete(ctx, "a-1"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err = s.Get(ctx, "a-1")
		wantCode(t, err, apperr.ENOTFOUND)
		list, _ = s.List(ctx)
		sameJSON(t, list, []T{b})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := store(newStores(t))
		_, err := s.Get(ctx, "missing")
		wantCode(t, err, apperr.ENOTFOUND)
		wantCode(t, s.Update(ctx, valid("missing")), apperr.ENOTFOUND)
		wantCode(t, s.Delete(ctx, "missing"), apperr.ENOTFOUND)
		if !errors.Is(s.Delete(ctx, "missing"), apperr.ErrNotFound) {
			t.Error("errors.Is(err, apperr.ErrNotFound) = false, want true")
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := store(newStores(t))
		first := valid("dup")
		if err := s.Create(ctx, first); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Create(ctx, change(valid("dup"))), apperr.ECONFLICT)
		got, _ := s.Get(ctx, "dup")
		sameJSON(t, got, first)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := store(newStores(t))
		wantCode(t, s.Create(ctx, invalid), apperr.EINVALID)
		if list, _ := s.List(ctx); len(list) != 0 {
			t.Fatalf("an invalid entity was stored: %v", list)
		}
		if err := s.Create(ctx, valid("ok")); err != nil {
			t.Fatal(err)
		}
		bad := invalid
		wantCode(t, s.Update(ctx, bad), apperr.EINVALID)
	})
}

func testCalendar(t *testing.T, s feedback.ReferenceStore) {
	ctx := context.Background()
	_, err := s.Calendar(ctx)
	wantCode(t, err, apperr.ENOTFOUND)
	wantCode(t, s.SetCalendar(ctx, feedback.Calendar{TimeZone: "Mars/Olympus"}), apperr.EINVALID)

	ref, err := feedback.DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetCalendar(ctx, ref.Calendar); err != nil {
		t.Fatal(err)
	}
	got, err := s.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, ref.Calendar)
	cal2 := ref.Calendar
	cal2.Years = cal2.Years[:1]
	if err := s.SetCalendar(ctx, cal2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Calendar(ctx)
	sameJSON(t, got, cal2)
}

// small returns a tiny valid dataset whose every code ends in suffix.
func small(suffix string, n int) *feedback.Reference {
	ref := &feedback.Reference{
		Agencies: []feedback.Agency{{Code: "dieu-phoi" + suffix, Name: i18n.T("Trung tâm điều phối", "Coordinator"), Kind: feedback.AgencyCoordinator, Active: true}},
		Areas:    []feedback.Area{{Code: "tinh" + suffix, Name: i18n.T("Tỉnh", "Province"), Level: feedback.LevelProvince}},
	}
	for i := 0; i < n; i++ {
		ref.Categories = append(ref.Categories, feedback.Category{Code: fmt.Sprintf("c%02d%s", i, suffix), Name: i18n.T("Lĩnh vực", "Category")})
	}
	return ref
}

func testReplace(t *testing.T, s feedback.ReferenceStore) {
	ctx := context.Background()
	empty, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !empty.IsEmpty() {
		t.Fatalf("new store: got %s, want nothing", empty.Counts())
	}
	def, err := feedback.DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Replace(ctx, def); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def.Sort()
	sameJSON(t, got, def)
	cats, _ := s.Categories().List(ctx)
	if len(cats) != len(def.Categories) {
		t.Fatalf("Categories().List after Replace: got %d, want %d", len(cats), len(def.Categories))
	}

	// A second Replace leaves nothing of the first behind.
	other := small("-b", 3)
	if err := s.Replace(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Load(ctx)
	sameJSON(t, got, other)
	if _, err := s.Categories().Get(ctx, def.Categories[0].Code); apperr.CodeOf(err) != apperr.ENOTFOUND {
		t.Fatalf("old category after Replace: got %v, want ENOTFOUND", err)
	}
	// Single-entity changes apply to the data now active.
	extra := feedback.Category{Code: "them", Name: i18n.T("Thêm", "Extra")}
	if err := s.Categories().Create(ctx, extra); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Load(ctx)
	if len(got.Categories) != 4 {
		t.Fatalf("after Create: got %d categories, want 4", len(got.Categories))
	}

	// A failing Replace (duplicate code) changes nothing.
	bad := small("-c", 2)
	bad.Categories = append(bad.Categories, bad.Categories[0])
	if err := s.Replace(ctx, bad); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("Replace with duplicate: got %v, want ECONFLICT", err)
	}
	after, _ := s.Load(ctx)
	sameJSON(t, after, got)
}

func testReplaceAtomic(t *testing.T, s feedback.ReferenceStore) {
	ctx := context.Background()
	a, b := small("-a", 20), small("-b", 25)
	if err := s.Replace(ctx, a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			next := b
			if i%2 == 1 {
				next = a
			}
			if err := s.Replace(ctx, next); err != nil {
				errs <- fmt.Errorf("Replace: %w", err)
				return
			}
		}
	}()
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				got, err := s.Load(ctx)
				if apperr.CodeOf(err) == apperr.ECONFLICT {
					continue // the store may ask a reader to retry; it must never return a mix
				}
				if err != nil {
					errs <- err
					return
				}
				n := len(got.Categories)
				if (n != 20 && n != 25) || len(got.Agencies) != 1 || len(got.Areas) != 1 {
					errs <- fmt.Errorf("a reader saw a mix: %s", got.Counts())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
