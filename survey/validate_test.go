package survey

import (
	"errors"
	"strings"
	"testing"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

func ptr(f float64) *float64 { return &f }

// smallSIPAS is a valid SIPAS questionnaire: two elements of two criteria,
// the second asked only of those who gave feedback.
func smallSIPAS() Questionnaire {
	return Questionnaire{
		Elements: []Element{
			{Code: "e1", Label: i18n.T("Tiếp cận", "Access")},
			{Code: "e2", Label: i18n.T("Góp ý", "Feedback"), ReportRatings: true},
		},
		Sections: []Section{
			{Code: "s1", Title: i18n.T("Phần 1", "Part 1"), Questions: []Question{
				{Code: "a1", Type: TypeLikert5, Label: i18n.T("Tiêu chí a1", "Criterion a1"), Required: true, ElementCode: "e1"},
				{Code: "a2", Type: TypeLikert5, Label: i18n.T("Tiêu chí a2", "Criterion a2"), ElementCode: "e1"},
			}},
			{Code: "s2", Title: i18n.T("Phần 2", "Part 2"), Questions: []Question{
				{Code: "gave", Type: TypeYesNo, Label: i18n.T("Có góp ý không?", "Did you give feedback?"), Required: true},
				{Code: "b1", Type: TypeLikert5, Label: i18n.T("Tiêu chí b1", "Criterion b1"), Required: true, ElementCode: "e2", Relevant: "${gave} = 'yes'"},
				{Code: "b2", Type: TypeLikert5, Label: i18n.T("Tiêu chí b2", "Criterion b2"), Required: true, ElementCode: "e2", Relevant: "${gave} = 'yes'"},
				{Code: "age", Type: TypeNumber, Label: i18n.T("Tuổi", "Age"), Min: ptr(15), Max: ptr(120)},
				{Code: "channels", Type: TypeMultipleChoice, Label: i18n.T("Kênh", "Channels"), Options: []Option{
					{Value: "app", Label: i18n.T("Ứng dụng", "App")},
					{Value: "phone", Label: i18n.T("Điện thoại", "Phone")},
					{Value: "office", Label: i18n.T("Trực tiếp", "In person")},
				}},
				{Code: "comment", Type: TypeText, Label: i18n.T("Ý kiến", "Comment")},
			}},
		},
		Scoring: Scoring{Satisfied: []string{"4", "5"}, MinGroupSize: 5},
	}
}

// smallPAPI is a valid PAPI questionnaire: dimension d1 with sub-dimensions
// s11 and s12, dimension d2 with s21.
func smallPAPI() Questionnaire {
	return Questionnaire{
		Elements: []Element{
			{Code: "d1", Label: i18n.T("Lĩnh vực 1", "Dimension 1")},
			{Code: "s11", Label: i18n.T("Nội dung 1.1", "Sub-dimension 1.1"), ParentCode: "d1"},
			{Code: "s12", Label: i18n.T("Nội dung 1.2", "Sub-dimension 1.2"), ParentCode: "d1"},
			{Code: "d2", Label: i18n.T("Lĩnh vực 2", "Dimension 2")},
			{Code: "s21", Label: i18n.T("Nội dung 2.1", "Sub-dimension 2.1"), ParentCode: "d2"},
		},
		Sections: []Section{{Code: "main", Title: i18n.T("Câu hỏi", "Questions"), Questions: []Question{
			{Code: "x1", Type: TypeLikert5, Label: i18n.T("x1", "x1"), Required: true, ElementCode: "s11"},
			{Code: "x2", Type: TypeYesNo, Label: i18n.T("Có phải hối lộ không?", "Did you pay a bribe?"), ElementCode: "s11", Reverse: true},
			{Code: "x3", Type: TypeSingleChoice, Label: i18n.T("x3", "x3"), Required: true, ElementCode: "s12", Options: []Option{
				{Value: "a", Label: i18n.T("Tốt", "Good"), Score: ptr(1)},
				{Value: "b", Label: i18n.T("Trung bình", "Average"), Score: ptr(0.5)},
				{Value: "c", Label: i18n.T("Kém", "Poor"), Score: ptr(0)},
				{Value: "dk", Label: i18n.T("Không biết", "Don't know")},
			}},
			{Code: "x4", Type: TypeYesNo, Label: i18n.T("x4", "x4"), ElementCode: "s21"},
		}}},
		Scoring: Scoring{ScaleMin: 1, ScaleMax: 10, MinGroupSize: 5},
	}
}

func TestKind_Valid(t *testing.T) {
	for _, k := range []Kind{KindSIPAS, KindPAPI, KindCustom} {
		if !k.Valid() {
			t.Errorf("%q.Valid() = false", k)
		}
	}
	for _, k := range []Kind{"", "SIPAS", "pci"} {
		if k.Valid() {
			t.Errorf("%q.Valid() = true", k)
		}
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.EINVALID {
		t.Fatalf("got %v, want an EINVALID error", err)
	}
	out := map[string]string{}
	for _, f := range ae.Fields {
		if f.Message.Vi == "" || f.Message.En == "" {
			t.Errorf("field %s: message %+v, want both languages", f.Field, f.Message)
		}
		out[f.Field] = f.Message.En
	}
	return out
}

func TestQuestionnaire_Validate(t *testing.T) {
	if err := (&Questionnaire{}).Validate(KindCustom); err == nil {
		t.Error("an empty questionnaire validated")
	}
	sipas, papi := smallSIPAS(), smallPAPI()
	if err := sipas.Validate(KindSIPAS); err != nil {
		t.Fatalf("smallSIPAS: %v", err)
	}
	if err := papi.Validate(KindPAPI); err != nil {
		t.Fatalf("smallPAPI: %v", err)
	}

	q0 := "sections[0].questions[0]."
	q2 := "sections[1].questions[2]."
	tests := []struct {
		name   string
		kind   Kind
		papi   bool
		change func(q *Questionnaire)
		field  string
	}{
		{"unknown kind", "pci", false, func(q *Questionnaire) {}, "kind"},
		{"bad question code", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Code = "A1" }, q0 + "code"},
		{"code starting with a digit", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Code = "1a" }, q0 + "code"},
		{"code too long", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Code = "a" + strings.Repeat("b", 64) }, q0 + "code"},
		{"empty code", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Code = "" }, q0 + "code"},
		{"duplicate question code across sections", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[0].Code = "a1" }, "sections[1].questions[0].code"},
		{"reserved code", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[1].Code = ReportRatingCode }, "sections[0].questions[1].code"},
		{"duplicate section code", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Code = "s1" }, "sections[1].code"},
		{"duplicate element code", KindSIPAS, false, func(q *Questionnaire) { q.Elements[1].Code = "e1" }, "elements[1].code"},
		{"unknown type", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[5].Type = "essay" }, "sections[1].questions[5].type"},
		{"choice with one option", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[4].Options = q.Sections[1].Questions[4].Options[:1] }, "sections[1].questions[4].options"},
		{"duplicate option value", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[4].Options[2].Value = "app" }, "sections[1].questions[4].options[2].value"},
		{"option value with a space", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[4].Options[0].Value = "the app" }, "sections[1].questions[4].options[0].value"},
		{"options on a likert question", KindSIPAS, false, func(q *Questionnaire) {
			q.Sections[0].Questions[0].Options = []Option{{Value: "x", Label: i18n.T("x", "")}}
		}, q0 + "options"},
		{"min above max", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[3].Min = ptr(200) }, "sections[1].questions[3].max"},
		{"min on a text question", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[5].Min = ptr(1) }, "sections[1].questions[5].min"},
		{"relevant does not parse", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[1].Relevant = "${gave} = " }, "sections[1].questions[1].relevant"},
		{"relevant refers to a later question", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[1].Relevant = "${gave} = 'yes'" }, "sections[0].questions[1].relevant"},
		{"relevant refers to itself", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[0].Relevant = "${gave} = 'yes'" }, "sections[1].questions[0].relevant"},
		{"element in an unknown part", KindSIPAS, false, func(q *Questionnaire) { q.Elements[0].Part = "online" }, "elements[0].part"},
		{"duplicate part code", KindSIPAS, false, func(q *Questionnaire) {
			q.Parts = []Part{{Code: "online", Label: i18n.T("Trực tuyến", "Online")}, {Code: "online", Label: i18n.T("Trực tuyến", "Online")}}
		}, "parts[1].code"},
		{"part without a label", KindSIPAS, false, func(q *Questionnaire) { q.Parts = []Part{{Code: "online"}} }, "parts[0].label.vi"},
		{"parts outside SIPAS", KindPAPI, true, func(q *Questionnaire) { q.Parts = []Part{{Code: "online", Label: i18n.T("Trực tuyến", "")}} }, "parts[0].code"},
		{"eligibility does not parse", KindSIPAS, false, func(q *Questionnaire) { q.Scoring.Eligible = "${gave} = " }, "scoring.eligible"},
		{"eligibility on an unknown question", KindSIPAS, false, func(q *Questionnaire) { q.Scoring.Eligible = "${used} = 'yes'" }, "scoring.eligible"},
		{"eligibility outside SIPAS", KindPAPI, true, func(q *Questionnaire) { q.Scoring.Eligible = "${x1} = '5'" }, "scoring.eligible"},
		{"source too long", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Source = strings.Repeat("QĐ ", 200) }, q0 + "source"},
		{"source with a bidi override", KindSIPAS, false, func(q *Questionnaire) { q.Elements[0].Source = "QĐ \u202e1001" }, "elements[0].source"},
		{"hint with a control character", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Hint = i18n.T("gợi ý\x00", "") }, q0 + "hint"},
		{"empty stands_for entry", KindPAPI, true, func(q *Questionnaire) { q.Sections[0].Questions[0].StandsFor = []string{""} }, q0 + "stands_for[0]"},
		{"relevant refers to an unknown question", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[1].Relevant = "${nope} = 'yes'" }, "sections[1].questions[1].relevant"},
		{"unknown element code", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].ElementCode = "e9" }, q0 + "element_code"},
		{"element code on a text question", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[5].ElementCode = "e1" }, "sections[1].questions[5].element_code"},
		{"SIPAS criterion that is yes_no", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[0].ElementCode = "e2" }, "sections[1].questions[0].element_code"},
		{"unknown parent", KindCustom, false, func(q *Questionnaire) { q.Elements[1].ParentCode = "zz" }, "elements[1].parent_code"},
		{"own parent", KindCustom, false, func(q *Questionnaire) { q.Elements[1].ParentCode = "e2" }, "elements[1].parent_code"},
		{"SIPAS sub-element", KindSIPAS, false, func(q *Questionnaire) { q.Elements[1].ParentCode = "e1" }, "elements[1].parent_code"},
		{"depth 3", KindPAPI, true, func(q *Questionnaire) {
			q.Elements = append(q.Elements, Element{Code: "s111", Label: i18n.T("x", ""), ParentCode: "s11"})
		}, "elements[5].parent_code"},
		{"SIPAS without elements", KindSIPAS, false, func(q *Questionnaire) {
			q.Elements = nil
			for i := range q.Sections {
				for j := range q.Sections[i].Questions {
					q.Sections[i].Questions[j].ElementCode = ""
				}
			}
		}, "elements"},
		{"SIPAS element without a likert5 criterion", KindSIPAS, false, func(q *Questionnaire) {
			q.Elements = append(q.Elements, Element{Code: "e3", Label: i18n.T("Trống", "Empty")})
		}, "elements[2]"},
		{"SIPAS satisfied level out of range", KindSIPAS, false, func(q *Questionnaire) { q.Scoring.Satisfied = []string{"4", "6"} }, "scoring.satisfied[1]"},
		{"PAPI dimension without sub-dimensions", KindPAPI, true, func(q *Questionnaire) {
			q.Elements = append(q.Elements, Element{Code: "d3", Label: i18n.T("Lĩnh vực 3", "")})
		}, "elements[5]"},
		{"PAPI sub-dimension without indicators", KindPAPI, true, func(q *Questionnaire) {
			q.Elements = append(q.Elements, Element{Code: "s22", Label: i18n.T("x", ""), ParentCode: "d2"})
		}, "elements[5]"},
		{"PAPI indicator on a dimension", KindPAPI, true, func(q *Questionnaire) { q.Sections[0].Questions[3].ElementCode = "d2" }, "sections[0].questions[3].element_code"},
		{"PAPI single choice without scores", KindPAPI, true, func(q *Questionnaire) {
			for i := range q.Sections[0].Questions[2].Options {
				q.Sections[0].Questions[2].Options[i].Score = nil
			}
		}, "sections[0].questions[2].options"},
		{"PAPI scale upside down", KindPAPI, true, func(q *Questionnaire) { q.Scoring.ScaleMin = 10; q.Scoring.ScaleMax = 1 }, "scoring.scale_max"},
		{"PAPI scale beyond ±1000", KindPAPI, true, func(q *Questionnaire) { q.Scoring.ScaleMin = 1; q.Scoring.ScaleMax = 1e308 }, "scoring.scale_max"},
		{"score above 1", KindPAPI, true, func(q *Questionnaire) { q.Sections[0].Questions[2].Options[0].Score = ptr(1.5) }, "sections[0].questions[2].options[0].score"},
		{"negative score", KindPAPI, true, func(q *Questionnaire) { q.Sections[0].Questions[2].Options[0].Score = ptr(-0.1) }, "sections[0].questions[2].options[0].score"},
		{"reverse outside PAPI", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Reverse = true }, q0 + "reverse"},
		{"report ratings outside SIPAS", KindPAPI, true, func(q *Questionnaire) { q.Elements[0].ReportRatings = true }, "elements[0].report_ratings"},
		{"question label without Vietnamese", KindSIPAS, false, func(q *Questionnaire) { q.Sections[0].Questions[0].Label = i18n.T(" ", "Only English") }, q0 + "label.vi"},
		{"option label without Vietnamese", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[4].Options[1].Label = i18n.T("", "Phone") }, "sections[1].questions[4].options[1].label.vi"},
		{"element label without Vietnamese", KindSIPAS, false, func(q *Questionnaire) { q.Elements[0].Label = i18n.T("", "Access") }, "elements[0].label.vi"},
		{"section title without Vietnamese", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Title = i18n.Text{} }, "sections[1].title.vi"},
		{"empty section", KindCustom, false, func(q *Questionnaire) { q.Sections = append(q.Sections, Section{Code: "s3", Title: i18n.T("x", "")}) }, "sections[2].questions"},
		{"negative min group size", KindSIPAS, false, func(q *Questionnaire) { q.Scoring.MinGroupSize = -1 }, "scoring.min_group_size"},
		{"index field naming", KindSIPAS, false, func(q *Questionnaire) { q.Sections[1].Questions[2].Relevant = "${gave} = 'yes' and ${zz} = 1" }, q2 + "relevant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := smallSIPAS()
			if tt.papi {
				q = smallPAPI()
			}
			tt.change(&q)
			err := q.Validate(tt.kind)
			fields := fieldsOf(t, err)
			if _, ok := fields[tt.field]; !ok {
				t.Errorf("got fields %v, want %s among them", fields, tt.field)
			}
		})
	}
}

func TestQuestionnaire_Validate_ListsEveryProblem(t *testing.T) {
	q := smallSIPAS()
	q.Sections[0].Questions[0].Code = "Bad"
	q.Sections[1].Questions[3].Min = ptr(500)
	q.Elements[0].Label = i18n.Text{}
	fields := fieldsOf(t, q.Validate(KindSIPAS))
	for _, f := range []string{"sections[0].questions[0].code", "sections[1].questions[3].max", "elements[0].label.vi"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("got fields %v, want %s among them", fields, f)
		}
	}
}
