package survey

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

func TestTemplate(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind Kind
	}{{"sipas", KindSIPAS}, {"sipas-2017", KindSIPAS}, {"papi", KindPAPI}} {
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

func TestTemplate_SIPAS2017(t *testing.T) {
	_, q, err := Template("sipas-2017")
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

func TestTemplate_SIPAS(t *testing.T) {
	_, q, err := Template("sipas")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.Source, "1001/QĐ-BNV") || q.Note.Vi == "" || q.Note.En == "" {
		t.Errorf("source %q, note %+v: want QĐ 1001/QĐ-BNV cited and a note in both languages", q.Source, q.Note)
	}
	// Every item says where it comes from: a citation or "unconfirmed".
	for _, e := range q.Elements {
		if e.Source == "" {
			t.Errorf("element %s has no source", e.Code)
		}
		if e.ReportRatings {
			t.Errorf("element %s takes report ratings; the 2023 model is scored from survey answers only", e.Code)
		}
	}
	perception := 0
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.Source == "" {
				t.Errorf("question %s has no source", qu.Code)
			}
			if strings.Contains(qu.Source, "khía cạnh (1)") {
				perception++
				if qu.ElementCode != "" {
					t.Errorf("views question %s is scored; part (1) is not part of the index", qu.Code)
				}
			}
		}
	}
	if perception != 8 {
		t.Errorf("%d questions cite the 8 criteria of part (1), want 8", perception)
	}
	// The satisfaction part: the five elements of the issue, plus the
	// online public service scored as a part of its own.
	var main []string
	for _, e := range q.Elements {
		if e.Part == "" {
			main = append(main, e.Code)
		} else if e.Part != "online" || e.Code != "online" {
			t.Errorf("element %s in part %q, want only online outside the main part", e.Code, e.Part)
		}
	}
	if strings.Join(main, ",") != "access,procedures,servant,result,feedback" {
		t.Errorf("main part elements %v", main)
	}
	if len(q.Parts) != 1 || q.Parts[0].Code != "online" {
		t.Errorf("parts %+v, want online", q.Parts)
	}
	if q.Scoring.Eligible != "${q_used_service} = 'yes'" {
		t.Errorf("scoring.eligible %q", q.Scoring.Eligible)
	}
	// Every criterion is asked only of eligible respondents, and the
	// online ones only of those who used the online service.
	var usage *Question
	for _, s := range q.Sections {
		for i, qu := range s.Questions {
			if qu.Code == "q_used_service" {
				usage = &s.Questions[i]
			}
			if qu.ElementCode == "" {
				continue
			}
			if !strings.HasPrefix(qu.Relevant, "${q_used_service} = 'yes'") {
				t.Errorf("criterion %s: relevant %q, want it asked only of those who used the service", qu.Code, qu.Relevant)
			}
			if (qu.ElementCode == "online") != strings.Contains(qu.Relevant, "${q_used_online} = 'yes'") {
				t.Errorf("criterion %s (%s): relevant %q", qu.Code, qu.ElementCode, qu.Relevant)
			}
		}
	}
	if usage == nil || usage.Hint.Vi == "" || usage.Hint.En == "" {
		t.Fatalf("q_used_service %+v: want it with a hint explaining who answers the satisfaction part", usage)
	}
	f := q.Form(i18n.EN)
	for _, fq := range f {
		if fq.Code == "q_used_service" && fq.Hint != usage.Hint.En {
			t.Errorf("form hint %q, want %q", fq.Hint, usage.Hint.En)
		}
	}

	// Skip logic on the real template: someone who did not use the
	// service answers the views and expectations only; answering a
	// satisfaction criterion is refused.
	views := `"q_gender":"nu","q_age_group":"35_44","q_education":"university","a_policy_interest":"some","a_info_channels":["tv_radio"],` +
		`"a_info_suitability":"suitable","a_willing_comment":"yes","a_harassment":"none","a_informal_payment":"none","a_channel_suitability":"partly","a_experience":["none"]`
	if _, err := q.CheckAnswers(raw(t, `{`+views+`,"q_used_service":"no"}`)); err != nil {
		t.Errorf("a non-user's answer: %v", err)
	}
	if _, err := q.CheckAnswers(raw(t, `{`+views+`,"q_used_service":"no","access_1":5}`)); apperr.CodeOf(err) != apperr.EINVALID {
		t.Errorf("a non-user rating access: got %v, want EINVALID", err)
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
	// A provincial short form says so, and every scored question names
	// the PAPI indicator it stands for.
	if !strings.Contains(q.Note.En, "short form") || !strings.Contains(q.Note.Vi, "rút gọn") {
		t.Errorf("note %+v: want it labelled a provincial short form", q.Note)
	}
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.ElementCode != "" && (len(qu.StandsFor) == 0 || !strings.HasPrefix(qu.StandsFor[0], "PAPI ")) {
				t.Errorf("question %s stands for %q, want the PAPI indicators it stands for", qu.Code, qu.StandsFor)
			}
		}
	}
}

// TestTemplate_SIPAS2017Unchanged: the 2017 template is the questionnaire
// that was the "sipas" template before the 2023 model (testdata holds that
// file as it was), with only its citations added, so surveys made from it
// ask and compute exactly as before.
func TestTemplate_SIPAS2017Unchanged(t *testing.T) {
	_, now, err := Template("sipas-2017")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/sipas-before-2023.json")
	if err != nil {
		t.Fatal(err)
	}
	var before Questionnaire
	if err := json.Unmarshal(data, &before); err != nil {
		t.Fatal(err)
	}
	if now.Source == "" || now.Elements[0].Source == "" {
		t.Error("the 2017 template cites no source")
	}
	now.Source, now.Note = "", i18n.Text{}
	for i := range now.Elements {
		now.Elements[i].Source = ""
	}
	for _, s := range now.Sections {
		for i := range s.Questions {
			s.Questions[i].Source = ""
		}
	}
	if !reflect.DeepEqual(now, before) {
		t.Error("the 2017 template differs from the former sipas template beyond its citations")
	}
}
