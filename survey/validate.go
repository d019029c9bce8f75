package survey

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Limits on the size of a questionnaire, so that one stays a form a person
// can fill in and cheap to validate and score.
const (
	maxQuestions      = 500
	maxOptions        = 100
	maxOptionValueLen = 64
)

// ReportRatingCode is the code of the extra SIPAS criterion built from the
// ratings reporters gave to answered field reports. No question may use it.
const ReportRatingCode = "report_rating"

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindSIPAS, KindPAPI, KindCustom:
		return true
	}
	return false
}

// Valid reports whether t is one of the question types.
func (t QuestionType) Valid() bool {
	switch t {
	case TypeLikert5, TypeSingleChoice, TypeMultipleChoice, TypeYesNo, TypeNumber, TypeText, TypeRating:
		return true
	}
	return false
}

// isChoice reports whether questions of type t list their own options.
func (t QuestionType) isChoice() bool { return t == TypeSingleChoice || t == TypeMultipleChoice }

// scoredTypes are the types that may carry an element_code, by kind: a SIPAS
// criterion is a satisfaction scale; a PAPI indicator is anything that maps
// to 0–1.
func scoredType(kind Kind, t QuestionType) bool {
	switch t {
	case TypeLikert5, TypeRating:
		return true
	case TypeYesNo, TypeSingleChoice:
		return kind != KindSIPAS
	}
	return false
}

type checker struct{ fs []apperr.FieldError }

func (c *checker) add(field, vi, en string) {
	c.fs = append(c.fs, apperr.FieldError{Field: field, Message: i18n.T(vi, en)})
}

func (c *checker) code(field, code string) bool {
	switch {
	case code == "":
		c.add(field, "Bắt buộc nhập", "is required")
	case !codePattern.MatchString(code):
		c.add(field, "Mã bắt đầu bằng chữ thường, chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới, tối đa 64 ký tự",
			"must start with a lowercase letter and use only lowercase ASCII letters, digits and underscores, at most 64 characters")
	default:
		return true
	}
	return false
}

func (c *checker) text(field string, t i18n.Text) {
	if strings.TrimSpace(t.Vi) == "" {
		c.add(field+".vi", "Thiếu nội dung tiếng Việt", "the Vietnamese text is required")
	}
	if t.Hostile() {
		c.add(field, "Chứa ký tự điều khiển", "must not contain control or bidi override characters")
	}
}

// Validate checks q as a questionnaire of kind and lists every problem in
// one EINVALID error, with fields named like
// "sections[1].questions[2].options" (indexes from 0).
func (q *Questionnaire) Validate(kind Kind) error {
	c := &checker{}
	if !kind.Valid() {
		c.add("kind", "Loại khảo sát phải là sipas, papi hoặc custom", "must be sipas, papi or custom")
	}

	c.source("source", q.Source)
	if q.Note.Hostile() {
		c.add("note", "Chứa ký tự điều khiển", "must not contain control or bidi override characters")
	}

	// Parts: codes and labels; only SIPAS scores parts apart.
	parts := map[string]bool{}
	for i, pt := range q.Parts {
		p := fmt.Sprintf("parts[%d].", i)
		if kind != KindSIPAS {
			c.add(p+"code", "Chỉ khảo sát SIPAS có các phần tính riêng", "only SIPAS surveys have separately scored parts")
		}
		if c.code(p+"code", pt.Code) {
			if parts[pt.Code] {
				c.add(p+"code", "Mã bị trùng", "duplicate code")
			}
			parts[pt.Code] = true
		}
		c.text(p+"label", pt.Label)
		c.source(p+"source", pt.Source)
	}

	// Elements: codes, labels, parents, depth.
	elements := map[string]*Element{}
	for i := range q.Elements {
		e := &q.Elements[i]
		p := fmt.Sprintf("elements[%d].", i)
		if c.code(p+"code", e.Code) {
			if elements[e.Code] != nil {
				c.add(p+"code", "Mã bị trùng", "duplicate code")
			} else {
				elements[e.Code] = e
			}
		}
		c.text(p+"label", e.Label)
		if e.ReportRatings && kind != KindSIPAS {
			c.add(p+"report_ratings", "Chỉ dùng cho khảo sát SIPAS", "only SIPAS surveys use report ratings")
		}
		if e.Part != "" && !parts[e.Part] {
			c.add(p+"part", "Không có phần nào mang mã này", "no part has this code")
		}
		c.source(p+"source", e.Source)
	}
	for i, e := range q.Elements {
		if e.ParentCode == "" {
			continue
		}
		p := fmt.Sprintf("elements[%d].parent_code", i)
		parent := elements[e.ParentCode]
		switch {
		case e.ParentCode == e.Code:
			c.add(p, "Không thể là cha của chính nó", "cannot be its own parent")
		case parent == nil:
			c.add(p, "Không có yếu tố nào mang mã này", "no element has this code")
		case parent.ParentCode != "":
			c.add(p, "Chỉ được hai cấp: yếu tố cha phải là cấp đầu", "at most two levels: the parent must be a top-level element")
		case kind == KindSIPAS:
			c.add(p, "Yếu tố SIPAS không có cấp con", "SIPAS elements have no sub-elements")
		}
	}

	// Sections and questions.
	if len(q.Sections) == 0 {
		c.add("sections", "Cần ít nhất một phần", "at least one section is required")
	}
	sections := map[string]bool{}
	seen := map[string]bool{} // question codes so far, for uniqueness and relevance
	total := 0
	criteria := map[string]int{}   // element code → number of likert5/rating questions
	indicators := map[string]int{} // element code → number of scored questions
	for si, s := range q.Sections {
		sp := fmt.Sprintf("sections[%d].", si)
		if c.code(sp+"code", s.Code) {
			if sections[s.Code] {
				c.add(sp+"code", "Mã bị trùng", "duplicate code")
			}
			sections[s.Code] = true
		}
		c.text(sp+"title", s.Title)
		if len(s.Questions) == 0 {
			c.add(sp+"questions", "Cần ít nhất một câu hỏi", "at least one question is required")
		}
		for qi := range s.Questions {
			qu := &s.Questions[qi]
			p := fmt.Sprintf("%squestions[%d].", sp, qi)
			total++
			c.question(kind, p, qu, seen)
			if qu.Code != "" {
				seen[qu.Code] = true
			}
			if qu.ElementCode == "" {
				continue
			}
			e := elements[qu.ElementCode]
			switch {
			case e == nil:
				c.add(p+"element_code", "Không có yếu tố nào mang mã này", "no element has this code")
			case !scoredType(kind, qu.Type):
				if kind == KindSIPAS {
					c.add(p+"element_code", "Tiêu chí SIPAS phải là câu hỏi likert5 hoặc rating",
						"a SIPAS criterion must be a likert5 or rating question")
				} else {
					c.add(p+"element_code", "Chỉ câu hỏi likert5, rating, yes_no hoặc single_choice được tính điểm",
						"only likert5, rating, yes_no and single_choice questions are scored")
				}
			case kind == KindPAPI && e.ParentCode == "":
				c.add(p+"element_code", "Câu hỏi PAPI phải thuộc một nội dung thành phần, không thuộc trực tiếp lĩnh vực",
					"a PAPI indicator must belong to a sub-dimension, not to a dimension")
			default:
				indicators[e.Code]++
				if qu.Type == TypeLikert5 {
					criteria[e.Code]++
				}
				if kind == KindPAPI && qu.Type == TypeSingleChoice && !anyScore(qu.Options) {
					c.add(p+"options", "Chỉ báo PAPI dạng lựa chọn cần điểm (score) cho ít nhất một lựa chọn",
						"a PAPI single_choice indicator needs a score on at least one option")
				}
			}
		}
	}
	if total > maxQuestions {
		c.add("sections", fmt.Sprintf("Tối đa %d câu hỏi", maxQuestions), fmt.Sprintf("at most %d questions", maxQuestions))
	}

	// What each kind's arithmetic needs.
	switch kind {
	case KindSIPAS:
		if len(q.Elements) == 0 {
			c.add("elements", "Khảo sát SIPAS cần ít nhất một yếu tố", "a SIPAS survey needs at least one element")
		}
		for i, e := range q.Elements {
			if criteria[e.Code] == 0 {
				c.add(fmt.Sprintf("elements[%d]", i), "Yếu tố cần ít nhất một tiêu chí likert5", "the element needs at least one likert5 criterion")
			}
		}
		seenLevel := map[string]bool{}
		for i, v := range q.Scoring.Satisfied {
			f := fmt.Sprintf("scoring.satisfied[%d]", i)
			if len(v) != 1 || v[0] < '1' || v[0] > '5' {
				c.add(f, "Phải là một mức từ \"1\" đến \"5\"", "must be a level \"1\" to \"5\"")
			} else if seenLevel[v] {
				c.add(f, "Mức bị trùng", "duplicate level")
			}
			seenLevel[v] = true
		}
	case KindPAPI:
		if len(q.Elements) == 0 {
			c.add("elements", "Khảo sát PAPI cần ít nhất một lĩnh vực", "a PAPI survey needs at least one dimension")
		}
		children := map[string]int{}
		for _, e := range q.Elements {
			if e.ParentCode != "" {
				children[e.ParentCode]++
			}
		}
		for i, e := range q.Elements {
			switch {
			case e.ParentCode == "" && children[e.Code] == 0:
				c.add(fmt.Sprintf("elements[%d]", i), "Lĩnh vực cần ít nhất một nội dung thành phần", "the dimension needs at least one sub-dimension")
			case e.ParentCode != "" && indicators[e.Code] == 0:
				c.add(fmt.Sprintf("elements[%d]", i), "Nội dung thành phần cần ít nhất một chỉ báo", "the sub-dimension needs at least one indicator")
			}
		}
		s := q.Scoring
		switch {
		case math.Abs(s.ScaleMin) > maxScale || math.Abs(s.ScaleMax) > maxScale:
			c.add("scoring.scale_max", fmt.Sprintf("Thang điểm nằm trong khoảng ±%d", maxScale), fmt.Sprintf("the scale must lie within ±%d", maxScale))
		case (s.ScaleMin != 0 || s.ScaleMax != 0) && !(s.ScaleMin < s.ScaleMax):
			c.add("scoring.scale_max", "Phải lớn hơn scale_min", "must be greater than scale_min")
		}
	}
	if q.Scoring.Eligible != "" {
		if kind != KindSIPAS {
			c.add("scoring.eligible", "Chỉ dùng cho khảo sát SIPAS", "only SIPAS surveys use an eligibility condition")
		}
		c.condition("scoring.eligible", q.Scoring.Eligible, seen)
	}
	if q.Scoring.MinGroupSize < 0 {
		c.add("scoring.min_group_size", "Không được âm", "must not be negative")
	}

	if len(c.fs) == 0 {
		return nil
	}
	return apperr.Invalid(i18n.T("Bảng hỏi chưa hợp lệ", "the questionnaire is not valid"), c.fs...)
}

// maxScale bounds a PAPI dimension's score range (PAPI itself uses 1–10),
// so that sums over eight dimensions stay ordinary numbers.
const maxScale = 1000

func (c *checker) question(kind Kind, p string, qu *Question, seen map[string]bool) {
	if c.code(p+"code", qu.Code) {
		switch {
		case seen[qu.Code]:
			c.add(p+"code", "Mã câu hỏi bị trùng", "duplicate question code")
		case qu.Code == ReportRatingCode:
			c.add(p+"code", "Mã này dành cho tiêu chí đánh giá của người phản ánh", "this code is reserved for the reporters' ratings criterion")
		}
	}
	c.text(p+"label", qu.Label)
	if !qu.Type.Valid() {
		c.add(p+"type", "Loại câu hỏi không hợp lệ", "unknown question type")
	}

	if qu.Type.isChoice() {
		if len(qu.Options) < 2 {
			c.add(p+"options", "Cần ít nhất hai lựa chọn", "at least two options are required")
		}
		if len(qu.Options) > maxOptions {
			c.add(p+"options", fmt.Sprintf("Tối đa %d lựa chọn", maxOptions), fmt.Sprintf("at most %d options", maxOptions))
		}
		values := map[string]bool{}
		for oi, o := range qu.Options {
			op := fmt.Sprintf("%soptions[%d].", p, oi)
			switch {
			case o.Value == "":
				c.add(op+"value", "Bắt buộc nhập", "is required")
			case len(o.Value) > maxOptionValueLen || strings.IndexFunc(o.Value, unicode.IsSpace) >= 0:
				c.add(op+"value", fmt.Sprintf("Giá trị không chứa khoảng trắng, tối đa %d ký tự", maxOptionValueLen),
					fmt.Sprintf("must have no spaces and at most %d characters", maxOptionValueLen))
			case values[o.Value]:
				c.add(op+"value", "Giá trị bị trùng", "duplicate value")
			}
			values[o.Value] = true
			c.text(op+"label", o.Label)
			if o.Score != nil && !(*o.Score >= 0 && *o.Score <= 1) {
				c.add(op+"score", "Điểm phải từ 0 đến 1", "must be between 0 and 1")
			}
		}
	} else if len(qu.Options) > 0 && qu.Type.Valid() {
		c.add(p+"options", "Chỉ câu hỏi lựa chọn mới có danh sách lựa chọn", "only choice questions have options")
	}

	if qu.Type == TypeNumber {
		if qu.Min != nil && qu.Max != nil && *qu.Min > *qu.Max {
			c.add(p+"max", "Không được nhỏ hơn min", "must not be less than min")
		}
		for _, b := range []struct {
			name string
			v    *float64
		}{{"min", qu.Min}, {"max", qu.Max}} {
			if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
				c.add(p+b.name, "Phải là một số", "must be a number")
			}
		}
	} else if (qu.Min != nil || qu.Max != nil) && qu.Type.Valid() {
		c.add(p+"min", "Chỉ câu hỏi số mới có min, max", "only number questions have min and max")
	}

	if qu.Reverse && (kind != KindPAPI || qu.ElementCode == "") {
		c.add(p+"reverse", "Chỉ dùng cho chỉ báo PAPI", "only PAPI indicators can be reversed")
	}

	if qu.Relevant != "" {
		c.condition(p+"relevant", qu.Relevant, seen)
	}
	if qu.Hint.Hostile() {
		c.add(p+"hint", "Chứa ký tự điều khiển", "must not contain control or bidi override characters")
	}
	c.source(p+"source", qu.Source)
	if len(qu.StandsFor) > maxStandsFor {
		c.add(p+"stands_for", fmt.Sprintf("Tối đa %d chỉ báo", maxStandsFor), fmt.Sprintf("at most %d indicators", maxStandsFor))
	}
	for i, ind := range qu.StandsFor {
		if ind == "" || len(ind) > maxStandsForLen || i18n.T(ind, "").Hostile() {
			c.add(fmt.Sprintf("%sstands_for[%d]", p, i), fmt.Sprintf("Văn bản thường, từ 1 đến %d byte", maxStandsForLen),
				fmt.Sprintf("must be plain text of 1 to %d bytes", maxStandsForLen))
		}
	}
}

// maxSourceLen and maxStandsFor bound the citations a questionnaire carries.
const (
	maxSourceLen    = 500
	maxStandsFor    = 50
	maxStandsForLen = 200
)

// condition checks an XLSForm-style condition that may only use the
// question codes in seen (the questions before it).
func (c *checker) condition(field, expr string, seen map[string]bool) {
	cond, err := ParseCondition(expr)
	var ae *apperr.Error
	switch {
	case errors.As(err, &ae) && len(ae.Fields) > 0:
		c.fs = append(c.fs, apperr.FieldError{Field: field, Message: ae.Fields[0].Message})
	case err != nil:
		c.add(field, "Điều kiện không hợp lệ", "invalid condition")
	default:
		for _, ref := range cond.Refs() {
			if !seen[ref] {
				c.add(field, fmt.Sprintf("Điều kiện chỉ được dựa vào câu hỏi đứng trước; ${%s} không phải", ref),
					fmt.Sprintf("a condition may only use earlier questions; ${%s} is not one", ref))
			}
		}
	}
}

// source checks a citation: plain text of bounded length.
func (c *checker) source(field, s string) {
	if len(s) > maxSourceLen {
		c.add(field, fmt.Sprintf("Tối đa %d byte", maxSourceLen), fmt.Sprintf("at most %d bytes", maxSourceLen))
	}
	if i18n.T(s, "").Hostile() {
		c.add(field, "Chứa ký tự điều khiển", "must not contain control or bidi override characters")
	}
}

func anyScore(opts []Option) bool {
	for _, o := range opts {
		if o.Score != nil {
			return true
		}
	}
	return false
}
