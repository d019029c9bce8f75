package survey

import (
	"encoding/json"
	"strings"
	"testing"

	"camaug/internal/i18n"
)

func TestQuestionnaire_Form(t *testing.T) {
	q := smallSIPAS()
	vi := q.Form(i18n.VI)
	en := q.Form(i18n.EN)
	if len(vi) != 8 || len(en) != 8 {
		t.Fatalf("got %d and %d questions, want 8", len(vi), len(en))
	}
	codes := []string{"a1", "a2", "gave", "b1", "b2", "age", "channels", "comment"}
	for i, c := range codes {
		if vi[i].Code != c {
			t.Errorf("question %d is %s, want %s", i, vi[i].Code, c)
		}
	}
	a1 := vi[0]
	if a1.Section != "s1" || a1.Type != TypeLikert5 || !a1.Required || a1.ElementCode != "e1" || a1.Label != "Tiêu chí a1" {
		t.Errorf("a1 = %+v", a1)
	}
	wantVI := []FormOption{{"1", "Rất không hài lòng"}, {"2", "Không hài lòng"}, {"3", "Bình thường"}, {"4", "Hài lòng"}, {"5", "Rất hài lòng"}, {"na", "Không ý kiến"}}
	wantEN := []FormOption{{"1", "Very dissatisfied"}, {"2", "Dissatisfied"}, {"3", "Neutral"}, {"4", "Satisfied"}, {"5", "Very satisfied"}, {"na", "No opinion"}}
	for i := range wantVI {
		if a1.Options[i] != wantVI[i] || en[0].Options[i] != wantEN[i] {
			t.Errorf("likert option %d: got %v / %v, want %v / %v", i, a1.Options[i], en[0].Options[i], wantVI[i], wantEN[i])
		}
	}
	if got := vi[2].Options; len(got) != 2 || got[0] != (FormOption{"yes", "Có"}) || got[1] != (FormOption{"no", "Không"}) {
		t.Errorf("yes_no options = %v", got)
	}
	if got := en[2].Options; got[0].Label != "Yes" || got[1].Label != "No" {
		t.Errorf("yes_no options in English = %v", got)
	}
	if vi[3].Relevant != "${gave} = 'yes'" || vi[3].Section != "s2" {
		t.Errorf("b1 = %+v", vi[3])
	}
	if age := vi[5]; *age.Min != 15 || *age.Max != 120 || age.Options != nil {
		t.Errorf("age = %+v", age)
	}
	if ch := en[6]; len(ch.Options) != 3 || ch.Options[2] != (FormOption{"office", "In person"}) {
		t.Errorf("channels = %+v", ch)
	}
	// The form's copy of min is not the questionnaire's.
	*vi[5].Min = 0
	if *q.Sections[1].Questions[3].Min != 15 {
		t.Error("Form shares Min with the questionnaire")
	}

	b, err := json.Marshal(vi[7])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"code":"comment","section":"s2","type":"text","label":"Ý kiến","required":false}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	b, _ = json.Marshal(en[5])
	if !strings.Contains(string(b), `"min":15,"max":120`) {
		t.Errorf("JSON = %s, want min and max", b)
	}
}
