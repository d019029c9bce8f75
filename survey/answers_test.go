package survey

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// raw builds the answers of a request body from a JSON object.
func raw(t *testing.T, js string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", js, err)
	}
	return m
}

func TestQuestionnaire_CheckAnswers(t *testing.T) {
	q := smallSIPAS()
	q.Sections[1].Questions = append(q.Sections[1].Questions, Question{
		Code: "stars", Type: TypeRating, Label: q.Sections[1].Questions[0].Label,
	}, Question{
		Code: "pick", Type: TypeSingleChoice, Label: q.Sections[1].Questions[0].Label, Options: q.Sections[1].Questions[4].Options,
	})
	if err := q.Validate(KindSIPAS); err != nil {
		t.Fatal(err)
	}

	t.Run("normalizes", func(t *testing.T) {
		got, err := q.CheckAnswers(raw(t, `{
			"a1": 5, "a2": "na", "gave": true, "b1": "4", "b2": 1.0,
			"age": 42.5, "channels": ["office", "app"], "comment": "  Cảm ơn  ",
			"stars": 3, "pick": "phone"}`))
		if err != nil {
			t.Fatal(err)
		}
		want := Answers{
			"a1": "5", "a2": NA, "gave": "yes", "b1": "4", "b2": "1",
			"age": 42.5, "channels": []string{"app", "office"}, "comment": "Cảm ơn",
			"stars": "3", "pick": "phone",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
	})

	t.Run("text is NFC", func(t *testing.T) {
		decomposed := "Ca\u0300 Mau" // "Cà Mau" with a combining grave accent
		got, err := q.CheckAnswers(map[string]json.RawMessage{
			"a1": json.RawMessage(`4`), "gave": json.RawMessage(`"no"`), "comment": mustJSON(t, decomposed),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got["comment"] != "Cà Mau" {
			t.Errorf("comment = %q, want the composed %q", got["comment"], "Cà Mau")
		}
	})

	t.Run("skip logic", func(t *testing.T) {
		// gave = no: b1 and b2 are not asked, so not required.
		got, err := q.CheckAnswers(raw(t, `{"a1": 3, "gave": "no"}`))
		if err != nil {
			t.Fatalf("gave=no without b1, b2: %v", err)
		}
		if want := (Answers{"a1": "3", "gave": "no"}); !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		// gave = yes: b1 and b2 are asked and required.
		_, err = q.CheckAnswers(raw(t, `{"a1": 3, "gave": "yes"}`))
		fields := fieldsOf(t, err)
		if fields["answers.b1"] != "required" || fields["answers.b2"] != "required" || len(fields) != 2 {
			t.Errorf("gave=yes without b1, b2: got %v, want b1 and b2 required", fields)
		}
		// Answering a question that is not asked is an error.
		_, err = q.CheckAnswers(raw(t, `{"a1": 3, "gave": "no", "b1": 5}`))
		fields = fieldsOf(t, err)
		if !strings.Contains(fields["answers.b1"], "does not apply") || len(fields) != 1 {
			t.Errorf("b1 answered while skipped: got %v", fields)
		}
		// null is no answer: fine for a skipped question.
		if _, err := q.CheckAnswers(raw(t, `{"a1": 3, "gave": "no", "b1": null}`)); err != nil {
			t.Errorf("null answer to a skipped question: %v", err)
		}
		// gave missing altogether: the condition is false, so b1 is not asked.
		_, err = q.CheckAnswers(raw(t, `{"a1": 3, "b1": 4}`))
		fields = fieldsOf(t, err)
		if fields["answers.gave"] != "required" || !strings.Contains(fields["answers.b1"], "does not apply") {
			t.Errorf("got %v, want gave required and b1 not applying", fields)
		}
	})

	t.Run("relevance uses answers in order", func(t *testing.T) {
		q := smallSIPAS()
		// c1 depends on channels, c2 on c1.
		q.Sections[1].Questions = append(q.Sections[1].Questions,
			Question{Code: "c1", Type: TypeYesNo, Label: q.Sections[0].Title, Required: true, Relevant: "selected(${channels}, 'app')"},
			Question{Code: "c2", Type: TypeText, Label: q.Sections[0].Title, Required: true, Relevant: "${c1} = 'no' and count-selected(${channels}) >= 2"},
		)
		if err := q.Validate(KindSIPAS); err != nil {
			t.Fatal(err)
		}
		if _, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "channels": ["phone"]}`)); err != nil {
			t.Errorf("channels without app: %v", err)
		}
		if _, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "channels": ["app", "phone"], "c1": "yes"}`)); err != nil {
			t.Errorf("c1 yes: %v", err)
		}
		_, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "channels": ["app", "phone"], "c1": "no"}`))
		if f := fieldsOf(t, err); f["answers.c2"] != "required" || len(f) != 1 {
			t.Errorf("c1 no, two channels: got %v, want c2 required", f)
		}
		_, err = q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "channels": ["app"], "c1": "no", "c2": "x"}`))
		if f := fieldsOf(t, err); !strings.Contains(f["answers.c2"], "does not apply") {
			t.Errorf("c1 no, one channel, c2 answered: got %v", f)
		}
	})

	bad := []struct {
		name, answer, field string
	}{
		{"likert 0", `{"a1": 0}`, "a1"},
		{"likert 6", `{"a1": 6}`, "a1"},
		{"likert 3.5", `{"a1": 3.5}`, "a1"},
		{"likert x", `{"a1": "x"}`, "a1"},
		{"likert NA upper case", `{"a1": "NA"}`, "a1"},
		{"likert string 0", `{"a1": "0"}`, "a1"},
		{"likert bool", `{"a1": true}`, "a1"},
		{"likert list", `{"a1": [4]}`, "a1"},
		{"rating na", `{"stars": "na"}`, "stars"},
		{"rating 6", `{"stars": 6}`, "stars"},
		{"yes_no maybe", `{"gave": "maybe"}`, "gave"},
		{"yes_no 1", `{"gave": 1}`, "gave"},
		{"single choice unknown", `{"pick": "fax"}`, "pick"},
		{"single choice list", `{"pick": ["app"]}`, "pick"},
		{"multiple choice duplicates", `{"channels": ["app", "app"]}`, "channels"},
		{"multiple choice unknown value", `{"channels": ["app", "fax"]}`, "channels"},
		{"multiple choice empty", `{"channels": []}`, "channels"},
		{"multiple choice not a list", `{"channels": "app"}`, "channels"},
		{"number below min", `{"age": 14}`, "age"},
		{"number above max", `{"age": 121}`, "age"},
		{"number as text", `{"age": "42"}`, "age"},
		{"text too long", `{"comment": "` + strings.Repeat("ệ", MaxTextAnswer+1) + `"}`, "comment"},
		{"text not text", `{"comment": 12}`, "comment"},
		{"unknown code", `{"zzz": 1}`, "zzz"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			body := raw(t, tt.answer)
			// Fill in what is required so that only the bad answer fails.
			if _, ok := body["a1"]; !ok {
				body["a1"] = json.RawMessage(`4`)
			}
			if _, ok := body["gave"]; !ok {
				body["gave"] = json.RawMessage(`"no"`)
			}
			_, err := q.CheckAnswers(body)
			fields := fieldsOf(t, err)
			if _, ok := fields["answers."+tt.field]; !ok || len(fields) != 1 {
				t.Errorf("got %v, want exactly answers.%s", fields, tt.field)
			}
		})
	}

	t.Run("unknown question message", func(t *testing.T) {
		_, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "zzz": 1}`))
		if f := fieldsOf(t, err); f["answers.zzz"] != "unknown question" {
			t.Errorf("got %v", f)
		}
	})

	t.Run("text at the limit and blank text", func(t *testing.T) {
		got, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "comment": "`+strings.Repeat("ệ", MaxTextAnswer)+`"}`))
		if err != nil {
			t.Fatalf("text of %d characters: %v", MaxTextAnswer, err)
		}
		if _, ok := got["comment"]; !ok {
			t.Error("comment dropped")
		}
		got, err = q.CheckAnswers(raw(t, `{"a1": 4, "gave": "no", "comment": "   "}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["comment"]; ok {
			t.Error("blank comment kept; want it treated as no answer")
		}
	})

	t.Run("a rejected answer does not decide what is asked", func(t *testing.T) {
		// gave is invalid: b1 and b2 get no verdict of their own, but b1's
		// value is still checked.
		_, err := q.CheckAnswers(raw(t, `{"a1": 4, "gave": "maybe", "b1": 5}`))
		if f := fieldsOf(t, err); len(f) != 1 || f["answers.gave"] == "" {
			t.Errorf("got %v, want only gave", f)
		}
		_, err = q.CheckAnswers(raw(t, `{"a1": 4, "gave": "maybe", "b1": 7}`))
		if f := fieldsOf(t, err); len(f) != 2 || f["answers.b1"] == "" {
			t.Errorf("got %v, want gave and b1", f)
		}
	})

	t.Run("collects every problem", func(t *testing.T) {
		_, err := q.CheckAnswers(raw(t, `{"a1": 9, "gave": "yes", "b1": "x", "age": 1000, "zzz": 1}`))
		fields := fieldsOf(t, err)
		for _, f := range []string{"answers.a1", "answers.b1", "answers.b2", "answers.age", "answers.zzz"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("got %v, want %s among them", fields, f)
			}
		}
		if len(fields) != 5 {
			t.Errorf("got %d fields %v, want 5", len(fields), fields)
		}
	})

	t.Run("required missing", func(t *testing.T) {
		_, err := q.CheckAnswers(raw(t, `{"gave": "no", "a1": null}`))
		if f := fieldsOf(t, err); f["answers.a1"] != "required" || len(f) != 1 {
			t.Errorf("got %v, want a1 required", f)
		}
	})
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
