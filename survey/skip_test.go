package survey

import (
	"reflect"
	"testing"
)

// A paper-like form's answers: those to questions the earlier answers skip
// are dropped, the others kept for CheckAnswers, which then accepts them.
func TestQuestionnaire_Asked(t *testing.T) {
	_, q, err := Template("sipas-2017")
	if err != nil {
		t.Fatal(err)
	}
	all := `"q_gender":"nu","q_age_group":"25_34","q_education":"university","q_used_service":"yes",
		"access_1":4,"access_2":4,"access_3":4,"access_4":4,"procedures_1":4,"procedures_2":4,"procedures_3":4,"procedures_4":4,"procedures_5":4,
		"servant_1":4,"servant_2":4,"servant_3":4,"servant_4":4,"servant_5":4,"servant_6":4,"result_1":4,"result_2":4,"result_3":4`

	t.Run("Skipped", func(t *testing.T) {
		in := raw(t, `{`+all+`,"q_gave_feedback":"no","feedback_1":5,"feedback_3":"na","unknown_q":1}`)
		asked, kept := q.Asked(in)
		for _, code := range []string{"feedback_1", "feedback_2", "feedback_3", "feedback_4"} {
			if _, ok := kept[code]; ok {
				t.Errorf("the skipped %s was kept", code)
			}
			for _, a := range asked {
				if a == code {
					t.Errorf("%s is listed as asked", code)
				}
			}
		}
		if _, ok := kept["unknown_q"]; !ok {
			t.Error("an unknown code must reach CheckAnswers to be refused")
		}
		delete(kept, "unknown_q")
		if _, err := q.CheckAnswers(kept); err != nil {
			t.Fatalf("the kept answers are refused: %v", err)
		}
	})
	t.Run("Asked", func(t *testing.T) {
		asked, kept := q.Asked(raw(t, `{`+all+`,"q_gave_feedback":"yes","feedback_1":5}`))
		if !reflect.DeepEqual(asked[len(asked)-6:], []string{"q_gave_feedback", "feedback_1", "feedback_2", "feedback_3", "feedback_4", "q_comment"}) {
			t.Errorf("asked: got %v", asked[len(asked)-6:])
		}
		if _, ok := kept["feedback_1"]; !ok {
			t.Error("an asked question's answer was dropped")
		}
	})
	t.Run("InvalidAnswerDecidesNothing", func(t *testing.T) {
		// A bad answer to the question a condition reads counts as none.
		asked, _ := q.Asked(raw(t, `{"q_gave_feedback":"maybe"}`))
		for _, a := range asked {
			if a == "feedback_1" {
				t.Fatal("feedback_1 asked on an invalid answer")
			}
		}
	})
}
