package survey

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Limits that keep a hostile condition cheap to parse and evaluate.
const (
	maxConditionLen   = 4096
	maxConditionDepth = 64
)

// Condition is a parsed XLSForm-style relevance condition such as
//
//	${visited} = 'yes' and (${age} >= 18 or selected(${roles}, 'owner'))
//
// It knows ${code} references, string literals in single or double quotes
// (no escapes, as in XPath), numbers, = != < <= > >=, and, or, not(...),
// parentheses, selected(${code}, 'value') and count-selected(${code}).
//
// Comparisons follow XPath 1.0: if either side is a boolean both are
// compared as booleans, else if either side is a number both are compared as
// numbers (a text that is no number never equals anything), else as text;
// < <= > >= always compare numbers. An unanswered reference is the empty
// text, so ${x} = "" tests that x was not answered. A multiple_choice
// answer reads as its values joined by spaces.
type Condition struct {
	src  string
	root node
	refs []string
}

// ParseCondition parses s. A blank s gives a nil *Condition, which always
// holds. Errors are EINVALID, with one field "relevant" saying what is
// wrong and where.
func ParseCondition(s string) (*Condition, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > maxConditionLen {
		return nil, conditionError(0, fmt.Sprintf("điều kiện dài quá %d ký tự", maxConditionLen),
			fmt.Sprintf("the condition is longer than %d characters", maxConditionLen))
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	c := &Condition{src: s, root: root}
	seen := map[string]bool{}
	for _, t := range toks {
		if t.kind == tokRef && !seen[t.text] {
			seen[t.text] = true
			c.refs = append(c.refs, t.text)
		}
	}
	return c, nil
}

// String returns the condition as written.
func (c *Condition) String() string {
	if c == nil {
		return ""
	}
	return c.src
}

// Refs returns the question codes the condition reads, each once, in order
// of first appearance.
func (c *Condition) Refs() []string {
	if c == nil {
		return nil
	}
	return append([]string(nil), c.refs...)
}

// Eval reports whether the condition holds for the answers given so far.
// A nil condition always holds.
func (c *Condition) Eval(a Answers) bool {
	if c == nil {
		return true
	}
	return c.root.eval(a).truth()
}

func conditionError(pos int, vi, en string) error {
	msg := i18n.T(fmt.Sprintf("Điều kiện không hợp lệ (vị trí %d): %s", pos+1, vi),
		fmt.Sprintf("invalid condition (at %d): %s", pos+1, en))
	return apperr.Invalid(i18n.T("Điều kiện không hợp lệ", "invalid condition"),
		apperr.FieldError{Field: "relevant", Message: msg})
}

// ---- values ----

type valueKind int

const (
	valText valueKind = iota
	valNumber
	valBool
)

type value struct {
	kind valueKind
	s    string
	f    float64
	b    bool
}

func (v value) truth() bool {
	switch v.kind {
	case valBool:
		return v.b
	case valNumber:
		return v.f != 0 && !math.IsNaN(v.f)
	default:
		return v.s != ""
	}
}

func (v value) number() float64 {
	switch v.kind {
	case valNumber:
		return v.f
	case valBool:
		if v.b {
			return 1
		}
		return 0
	default:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		if err != nil || math.IsInf(f, 0) {
			return math.NaN()
		}
		return f
	}
}

func (v value) text() string {
	switch v.kind {
	case valNumber:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case valBool:
		return strconv.FormatBool(v.b)
	default:
		return v.s
	}
}

// answerValue reads an answer the way a condition sees it. Answers come
// normalized from CheckAnswers, or decoded back from storage (where a list
// is []any and a number float64).
func answerValue(a Answers, code string) value {
	switch x := a[code].(type) {
	case nil:
		return value{}
	case string:
		return value{s: x}
	case float64:
		return value{kind: valNumber, f: x}
	case int:
		return value{kind: valNumber, f: float64(x)}
	case int64:
		return value{kind: valNumber, f: float64(x)}
	case bool:
		return value{kind: valBool, b: x}
	default:
		if list, ok := answerList(x); ok {
			return value{s: strings.Join(list, " ")}
		}
		return value{}
	}
}

// answerList returns the values of a multiple_choice answer.
func answerList(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return x, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// selectedValues returns what selected() and count-selected() look at: the
// list of a multiple_choice answer, or the space-separated words of a
// single answer.
func selectedValues(a Answers, code string) []string {
	v, ok := a[code]
	if !ok || v == nil {
		return nil
	}
	if list, ok := answerList(v); ok {
		return list
	}
	return strings.Fields(answerValue(a, code).text())
}

// ---- syntax tree ----

type node interface {
	eval(a Answers) value
}

type litNode struct{ v value }

func (n litNode) eval(Answers) value { return n.v }

type refNode struct{ code string }

func (n refNode) eval(a Answers) value { return answerValue(a, n.code) }

type notNode struct{ x node }

func (n notNode) eval(a Answers) value { return value{kind: valBool, b: !n.x.eval(a).truth()} }

type logicNode struct {
	and  bool
	l, r node
}

func (n logicNode) eval(a Answers) value {
	l := n.l.eval(a).truth()
	if n.and && !l {
		return value{kind: valBool}
	}
	if !n.and && l {
		return value{kind: valBool, b: true}
	}
	return value{kind: valBool, b: n.r.eval(a).truth()}
}

type cmpNode struct {
	op   string
	l, r node
}

func (n cmpNode) eval(a Answers) value {
	l, r := n.l.eval(a), n.r.eval(a)
	var b bool
	switch n.op {
	case "=", "!=":
		var eq bool
		switch {
		case l.kind == valBool || r.kind == valBool:
			eq = l.truth() == r.truth()
		case l.kind == valNumber || r.kind == valNumber:
			x, y := l.number(), r.number()
			eq = x == y // NaN equals nothing
		default:
			eq = l.s == r.s
		}
		b = eq == (n.op == "=")
	default:
		x, y := l.number(), r.number()
		switch n.op {
		case "<":
			b = x < y
		case "<=":
			b = x <= y
		case ">":
			b = x > y
		case ">=":
			b = x >= y
		}
	}
	return value{kind: valBool, b: b}
}

type selectedNode struct{ code, val string }

func (n selectedNode) eval(a Answers) value {
	for _, s := range selectedValues(a, n.code) {
		if s == n.val {
			return value{kind: valBool, b: true}
		}
	}
	return value{kind: valBool}
}

type countSelectedNode struct{ code string }

func (n countSelectedNode) eval(a Answers) value {
	return value{kind: valNumber, f: float64(len(selectedValues(a, n.code)))}
}

// ---- tokens ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokRef
	tokString
	tokNumber
	tokOp
	tokWord
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokKind
	text string
	num  float64
	pos  int
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '$':
			if i+1 >= len(s) || s[i+1] != '{' {
				return nil, conditionError(i, "thiếu '{' sau '$'", "'$' must be followed by '{'")
			}
			j := i + 2
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j == i+2 || !isIdentStart(s[i+2]) || j >= len(s) || s[j] != '}' {
				return nil, conditionError(i, "tham chiếu phải có dạng ${mã_câu_hỏi}", "a reference must look like ${question_code}")
			}
			toks = append(toks, token{kind: tokRef, text: s[i+2 : j], pos: i})
			i = j + 1
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, conditionError(i, "chuỗi chưa đóng ngoặc", "unterminated string")
			}
			toks = append(toks, token{kind: tokString, text: s[i+1 : i+1+j], pos: i})
			i += j + 2
		case isDigit(c) || c == '.' || c == '-' && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.'):
			j := i
			if c == '-' {
				j++
			}
			for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
				j++
			}
			f, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, conditionError(i, "số không hợp lệ", "invalid number")
			}
			toks = append(toks, token{kind: tokNumber, text: s[i:j], num: f, pos: i})
			i = j
		case c == '=':
			toks = append(toks, token{kind: tokOp, text: "=", pos: i})
			i++
		case c == '!' || c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, conditionError(i, "dùng != hoặc not(...)", "use != or not(...)")
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		case c == '(':
			toks = append(toks, token{kind: tokLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tokComma, pos: i})
			i++
		case c >= 'a' && c <= 'z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '-') {
				j++
			}
			w := s[i:j]
			switch w {
			case "and", "or", "not", "selected", "count-selected":
			default:
				return nil, conditionError(i, fmt.Sprintf("từ %q không được hỗ trợ", w), fmt.Sprintf("unknown word %q", w))
			}
			toks = append(toks, token{kind: tokWord, text: w, pos: i})
			i = j
		default:
			return nil, conditionError(i, fmt.Sprintf("ký tự %q không hợp lệ", rune(c)), fmt.Sprintf("unexpected character %q", rune(c)))
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// ---- parser ----

// Grammar:
//
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" "(" or ")" | compare
//	compare = operand [ op operand ]
//	operand = "(" or ")" | ref | string | number
//	        | "selected" "(" ref "," string ")" | "count-selected" "(" ref ")"
type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	if t.kind == tokEOF {
		return conditionError(t.pos, "điều kiện kết thúc đột ngột", "unexpected end of the condition")
	}
	return conditionError(t.pos, "không mong đợi ở đây", "unexpected token")
}

func (p *parser) expect(k tokKind) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, p.unexpected(t)
	}
	return t, nil
}

func (p *parser) deeper(depth int) error {
	if depth > maxConditionDepth {
		return conditionError(p.peek().pos, "lồng ngoặc quá sâu", "too deeply nested")
	}
	return nil
}

func (p *parser) parseOr(depth int) (node, error) {
	if err := p.deeper(depth); err != nil {
		return nil, err
	}
	l, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tokWord && t.text == "or"; t = p.peek() {
		p.next()
		r, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		l = logicNode{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd(depth int) (node, error) {
	l, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tokWord && t.text == "and"; t = p.peek() {
		p.next()
		r, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		l = logicNode{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseUnary(depth int) (node, error) {
	if t := p.peek(); t.kind == tokWord && t.text == "not" {
		p.next()
		if _, err := p.expect(tokLParen); err != nil {
			return nil, err
		}
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return notNode{x: x}, nil
	}
	return p.parseCompare(depth)
}

func (p *parser) parseCompare(depth int) (node, error) {
	l, err := p.parseOperand(depth)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokOp {
		p.next()
		r, err := p.parseOperand(depth)
		if err != nil {
			return nil, err
		}
		return cmpNode{op: t.text, l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) parseOperand(depth int) (node, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return x, nil
	case tokRef:
		return refNode{code: t.text}, nil
	case tokString:
		return litNode{v: value{s: t.text}}, nil
	case tokNumber:
		return litNode{v: value{kind: valNumber, f: t.num}}, nil
	case tokWord:
		switch t.text {
		case "selected":
			if _, err := p.expect(tokLParen); err != nil {
				return nil, err
			}
			ref, err := p.expect(tokRef)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tokComma); err != nil {
				return nil, err
			}
			val, err := p.expect(tokString)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tokRParen); err != nil {
				return nil, err
			}
			return selectedNode{code: ref.text, val: val.text}, nil
		case "count-selected":
			if _, err := p.expect(tokLParen); err != nil {
				return nil, err
			}
			ref, err := p.expect(tokRef)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tokRParen); err != nil {
				return nil, err
			}
			return countSelectedNode{code: ref.text}, nil
		}
	}
	return nil, p.unexpected(t)
}
