package survey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// MaxTextAnswer is the longest free-text answer, in characters.
const MaxTextAnswer = 2000

// CheckAnswers validates raw answers (question code → JSON value) against q
// and returns them normalized as described on Answers. Questions are taken
// in order and each one's relevance is evaluated on the answers before it:
// a question that is not asked must not be answered, and is not required.
// JSON null counts as no answer. Every problem is listed in one EINVALID
// error, with fields named "answers.<code>".
func (q *Questionnaire) CheckAnswers(raw map[string]json.RawMessage) (Answers, error) {
	var fs []apperr.FieldError
	add := func(code, vi, en string) {
		fs = append(fs, apperr.FieldError{Field: "answers." + code, Message: i18n.T(vi, en)})
	}

	known := make(map[string]bool, len(raw))
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			known[qu.Code] = true
		}
	}
	var unknown []string
	for code := range raw {
		if !known[code] {
			unknown = append(unknown, code)
		}
	}
	sort.Strings(unknown)
	for _, code := range unknown {
		add(code, "Không có câu hỏi này", "unknown question")
	}

	out := make(Answers, len(raw))
	invalid := map[string]bool{} // questions whose answer was rejected
	for _, s := range q.Sections {
		for i := range s.Questions {
			qu := &s.Questions[i]
			cond, err := ParseCondition(qu.Relevant)
			if err != nil {
				// Validate rejects such questionnaires before they are used.
				return nil, apperr.Internal(fmt.Errorf("question %s: %w", qu.Code, err))
			}
			asked := cond.Eval(out)
			// Whether a question is asked cannot be told from a rejected
			// answer: say nothing about it until that answer is fixed.
			undecided := false
			for _, ref := range cond.Refs() {
				undecided = undecided || invalid[ref]
			}
			msg, given := raw[qu.Code]
			if given && isNull(msg) {
				given = false
			}
			switch {
			case !given:
				if asked && qu.Required && !undecided {
					add(qu.Code, "Bắt buộc trả lời", "required")
				}
			case !asked && !undecided:
				add(qu.Code, "Câu hỏi này không áp dụng theo các câu trả lời trước", "this question does not apply given the earlier answers")
				invalid[qu.Code] = true
			default:
				v, vi, en := qu.normalize(msg)
				switch {
				case vi != "":
					add(qu.Code, vi, en)
					invalid[qu.Code] = true
				case v == nil:
					if qu.Required {
						add(qu.Code, "Bắt buộc trả lời", "required")
					}
				default:
					out[qu.Code] = v
				}
			}
		}
	}
	if len(fs) > 0 {
		return nil, apperr.Invalid(i18n.T("Câu trả lời chưa hợp lệ", "the answers are not valid"), fs...)
	}
	return out, nil
}

func isNull(msg json.RawMessage) bool {
	return len(bytes.TrimSpace(msg)) == 0 || bytes.Equal(bytes.TrimSpace(msg), []byte("null"))
}

// decode reads one JSON value; numbers come out as float64.
func decode(msg json.RawMessage) (any, bool) {
	var v any
	if err := json.Unmarshal(msg, &v); err != nil {
		return nil, false
	}
	return v, true
}

// normalize returns the answer's normalized value, or a message (vi, en)
// saying why it is not acceptable. A nil value with no message is an empty
// answer (blank text).
func (qu *Question) normalize(msg json.RawMessage) (v any, vi, en string) {
	x, ok := decode(msg)
	if !ok {
		return nil, "Không đọc được câu trả lời", "cannot read the answer"
	}
	switch qu.Type {
	case TypeLikert5, TypeRating:
		if qu.Type == TypeLikert5 {
			if s, ok := x.(string); ok && s == NA {
				return NA, "", ""
			}
		}
		if level, ok := scaleLevel(x); ok {
			return level, "", ""
		}
		if qu.Type == TypeLikert5 {
			return nil, "Chọn một mức từ 1 đến 5 hoặc \"na\" (không ý kiến)", "must be a whole number 1 to 5, or \"na\" (no opinion)"
		}
		return nil, "Chọn một mức từ 1 đến 5", "must be a whole number 1 to 5"
	case TypeYesNo:
		switch x {
		case true, "yes":
			return "yes", "", ""
		case false, "no":
			return "no", "", ""
		}
		return nil, "Trả lời \"yes\" hoặc \"no\"", "must be \"yes\" or \"no\""
	case TypeSingleChoice:
		if s, ok := x.(string); ok && qu.hasOption(s) {
			return s, "", ""
		}
		return nil, "Không phải một lựa chọn của câu hỏi", "is not one of the question's options"
	case TypeMultipleChoice:
		list, ok := x.([]any)
		if !ok {
			return nil, "Phải là danh sách các lựa chọn", "must be a list of options"
		}
		if len(list) == 0 {
			return nil, "Chọn ít nhất một lựa chọn", "choose at least one option"
		}
		chosen := map[string]bool{}
		for _, e := range list {
			s, ok := e.(string)
			switch {
			case !ok || !qu.hasOption(s):
				return nil, "Có giá trị không phải lựa chọn của câu hỏi", "contains a value that is not one of the options"
			case chosen[s]:
				return nil, "Một lựa chọn bị lặp lại", "an option is chosen twice"
			}
			chosen[s] = true
		}
		// In the questionnaire's order, so equal answers look equal.
		out := make([]string, 0, len(chosen))
		for _, o := range qu.Options {
			if chosen[o.Value] {
				out = append(out, o.Value)
			}
		}
		return out, "", ""
	case TypeNumber:
		f, ok := x.(float64)
		if !ok {
			return nil, "Phải là một số", "must be a number"
		}
		if qu.Min != nil && f < *qu.Min {
			return nil, "Nhỏ hơn giá trị tối thiểu " + formatNumber(*qu.Min), "must be at least " + formatNumber(*qu.Min)
		}
		if qu.Max != nil && f > *qu.Max {
			return nil, "Lớn hơn giá trị tối đa " + formatNumber(*qu.Max), "must be at most " + formatNumber(*qu.Max)
		}
		return f, "", ""
	case TypeText:
		s, ok := x.(string)
		if !ok {
			return nil, "Phải là văn bản", "must be text"
		}
		s = i18n.CleanText(s)
		if utf8.RuneCountInString(s) > MaxTextAnswer {
			return nil, fmt.Sprintf("Tối đa %d ký tự", MaxTextAnswer), fmt.Sprintf("must be at most %d characters", MaxTextAnswer)
		}
		if s == "" {
			return nil, "", ""
		}
		return s, "", ""
	}
	return nil, "Loại câu hỏi không hợp lệ", "unknown question type"
}

// scaleLevel reads a 1–5 level from a JSON whole number or a string "1".."5".
func scaleLevel(x any) (string, bool) {
	switch v := x.(type) {
	case float64:
		if v != math.Trunc(v) || v < 1 || v > 5 {
			return "", false
		}
		return strconv.Itoa(int(v)), true
	case string:
		if len(v) == 1 && v[0] >= '1' && v[0] <= '5' {
			return v, true
		}
	}
	return "", false
}

func (qu *Question) hasOption(v string) bool {
	for _, o := range qu.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
