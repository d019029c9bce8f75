package survey

import (
	"testing"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

func TestTemplate(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind Kind
	}{{"sipas", KindSIPAS}, {"papi", KindPAPI}} {
		t.Run(tt.name, func(t *testing.T) {
			kind, q, err := Template(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tt.kind {
				t.Errorf("kind = %s, want %s", kind, tt.kind)
			}
			if err := q.Validate(kind); err != nil {
				t.Fatalf("the %s template does not validate: %v", tt.name, err)
			}
			for _, s := range q.Sections {
				if s.Title.En == "" {
					t.Errorf("section %s has no English title", s.Code)
				}
				for _, qu := range s.Questions {
					if qu.Label.En == "" {
						t.Errorf("question %s has no English label", qu.Code)
					}
					for _, o := range qu.Options {
						if o.Label.En == "" {
							t.Errorf("question %s option %s has no English label", qu.Code, o.Value)
						}
					}
				}
			}
			for _, e := range q.Elements {
				if e.Label.En == "" {
					t.Errorf("element %s has no English label", e.Code)
				}
			}
		})
	}

	t.Run("fresh copy", func(t *testing.T) {
		_, a, _ := Template("sipas")
		a.Elements[0].Label = i18n.T("đã sửa", "changed")
		a.Sections[1].Questions[0].Label.Vi = "đã sửa"
		_, b, _ := Template("sipas")
		if b.Elements[0].Label.Vi == "đã sửa" || b.Sections[1].Questions[0].Label.Vi == "đã sửa" {
			t.Error("a change to one copy shows in the next")
		}
	})

	t.Run("unknown", func(t *testing.T) {
		_, _, err := Template("pci")
		if apperr.CodeOf(err) != apperr.EINVALID {
			t.Fatalf("got %v, want EINVALID", err)
		}
		if _, ok := fieldsOf(t, err)["template"]; !ok {
			t.Errorf("got %v, want a problem with template", err)
		}
	})
}

func TestTemplate_SIPAS(t *testing.T) {
	_, q, err := Template("sipas")
	if err != nil {
		t.Fatal(err)
	}
	// The 2017–2020 model: five elements, 22 criteria (4, 5, 6, 3, 4).
	want := map[string]int{"access": 4, "procedures": 5, "servant": 6, "result": 3, "feedback": 4}
	got := map[string]int{}
	var gate bool
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.ElementCode == "" {
				if qu.Code == "q_gave_feedback" {
					gate = qu.Type == TypeYesNo
				}
				continue
			}
			if qu.Type != TypeLikert5 || !qu.Required {
				t.Errorf("criterion %s is %s required=%v, want a required likert5", qu.Code, qu.Type, qu.Required)
			}
			got[qu.ElementCode]++
			if qu.ElementCode == "feedback" && qu.Relevant != "${q_gave_feedback} = 'yes'" {
				t.Errorf("criterion %s: relevant %q, want it asked only of those who gave feedback", qu.Code, qu.Relevant)
			}
		}
	}
	total := 0
	for code, n := range want {
		if got[code] != n {
			t.Errorf("element %s has %d criteria, want %d", code, got[code], n)
		}
		total += got[code]
	}
	if total != 22 || len(q.Elements) != 5 {
		t.Errorf("got %d elements and %d criteria, want 5 and 22", len(q.Elements), total)
	}
	if !gate {
		t.Error("no yes_no question q_gave_feedback")
	}
	if e := q.Elements[4]; e.Code != "feedback" || !e.ReportRatings {
		t.Errorf("element 5 = %+v, want feedback with report_ratings", e)
	}
	if s := q.Scoring; len(s.Satisfied) != 2 || s.Satisfied[0] != "4" || s.Satisfied[1] != "5" || s.MinGroupSize != 5 {
		t.Errorf("scoring = %+v", s)
	}

	// Skip logic on the real template: not having given feedback skips
	// element 5.
	answers := map[string]string{"q_gender": `"nu"`, "q_age_group": `"35_44"`, "q_education": `"university"`, "q_used_service": `true`, "q_gave_feedback": `"no"`}
	body := `{`
	for k, v := range answers {
		body += `"` + k + `":` + v + `,`
	}
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.ElementCode != "" && qu.ElementCode != "feedback" {
				body += `"` + qu.Code + `":4,`
			}
		}
	}
	body = body[:len(body)-1] + `}`
	if _, err := q.CheckAnswers(raw(t, body)); err != nil {
		t.Errorf("a full answer without feedback: %v", err)
	}
}

func TestTemplate_PAPI(t *testing.T) {
	_, q, err := Template("papi")
	if err != nil {
		t.Fatal(err)
	}
	var dims []string
	subs := map[string]int{}
	for _, e := range q.Elements {
		if e.ParentCode == "" {
			dims = append(dims, e.Code)
		} else {
			subs[e.ParentCode]++
		}
	}
	want := []string{"participation", "transparency", "accountability", "anti_corruption", "admin_procedures", "public_services", "environment", "e_governance"}
	if len(dims) != len(want) {
		t.Fatalf("dimensions = %v, want %v", dims, want)
	}
	for i, d := range want {
		if dims[i] != d {
			t.Errorf("dimension %d = %s, want %s", i, dims[i], d)
		}
		if subs[d] < 2 || subs[d] > 4 {
			t.Errorf("dimension %s has %d sub-dimensions, want 2–4", d, subs[d])
		}
	}
	if s := q.Scoring; s.ScaleMin != 1 || s.ScaleMax != 10 || s.MinGroupSize != 5 {
		t.Errorf("scoring = %+v", s)
	}
	var reversed int
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.Reverse {
				reversed++
			}
		}
	}
	if reversed == 0 {
		t.Error("no reversed indicator (bribes should be)")
	}
}
