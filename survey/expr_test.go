package survey

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"camaug/internal/apperr"
)

func TestCondition_Eval(t *testing.T) {
	answers := Answers{
		"visited": "yes",
		"age":     float64(34),
		"score":   "4",
		"roles":   []string{"owner", "tenant"},
		"stored":  []any{"a", "b", "c"}, // a list as decoded back from storage
		"name":    "Lan",
		"empty":   "",
	}
	tests := []struct {
		cond string
		want bool
	}{
		{`${visited} = 'yes'`, true},
		{`${visited} = "yes"`, true},
		{`${visited} != 'yes'`, false},
		{`${visited}='no'`, false},
		{`${age} >= 18`, true},
		{`${age} > 34`, false},
		{`${age} <= 34`, true},
		{`${age} < 34.5`, true},
		{`${age} = 34`, true},
		{`${age} = '34'`, true}, // number against text compares as numbers
		{`${score} >= 4`, true}, // a likert level is text, compared as a number
		{`${score} > '3'`, true},
		{`${score} = 4`, true},
		{`${score} = '4'`, true},
		{`${age} > -1`, true},
		{`${visited} = 'yes' and ${age} >= 18`, true},
		{`${visited} = 'no' and ${age} >= 18`, false},
		{`${visited} = 'no' or ${age} >= 18`, true},
		{`${visited} = 'no' or ${age} < 18`, false},
		{`not(${visited} = 'no')`, true},
		{`not(${visited} = 'yes' and ${age} >= 18)`, false},
		{`(${visited} = 'no' or ${age} >= 18) and ${name} = 'Lan'`, true},
		{`${visited} = 'no' or ${age} >= 18 and ${name} = 'Lan'`, true}, // and binds tighter
		{`${visited} = 'yes' or ${age} >= 18 and ${name} = 'X'`, true},
		{`(${visited} = 'yes' or ${age} >= 18) and ${name} = 'X'`, false},
		{`selected(${roles}, 'owner')`, true},
		{`selected(${roles}, 'guest')`, false},
		{`selected(${stored}, 'b')`, true},
		{`selected(${visited}, 'yes')`, true}, // a single answer is a list of one
		{`selected(${missing}, 'x')`, false},
		{`count-selected(${roles}) = 2`, true},
		{`count-selected(${stored}) >= 3`, true},
		{`count-selected(${missing}) = 0`, true},
		{`${roles} = 'owner tenant'`, true}, // a list reads as its values joined by spaces
		// Unanswered references are the empty text: false in comparisons
		// with numbers, equal to ''.
		{`${missing} = ''`, true},
		{`${missing} != ''`, false},
		{`${missing} = 'yes'`, false},
		{`${missing} >= 0`, false},
		{`${missing} < 1`, false},
		{`${missing} = 0`, false},
		{`${missing} != 0`, true},
		{`${empty} = ''`, true},
		{`${name} > 1`, false}, // text that is no number never compares
		{`${visited}`, true},   // a bare reference is true when answered
		{`${missing}`, false},
		{`not(${missing})`, true},
		{`1 = 1`, true},
		{`'a' != 'b'`, true},
		{`(((${age} = 34)))`, true},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.cond)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.cond, err)
			continue
		}
		if got := c.Eval(answers); got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v", tt.cond, got, tt.want)
		}
	}
}

func TestCondition_Blank(t *testing.T) {
	c, err := ParseCondition("   ")
	if err != nil || c != nil {
		t.Fatalf("ParseCondition(blank) = %v, %v; want nil, nil", c, err)
	}
	if !c.Eval(nil) {
		t.Error("a nil condition should hold")
	}
	if c.Refs() != nil || c.String() != "" {
		t.Errorf("nil condition: refs %v, string %q", c.Refs(), c.String())
	}
}

func TestCondition_Refs(t *testing.T) {
	c, err := ParseCondition(`${b} = 'x' or selected(${a}, 'y') and count-selected(${b}) > 1 and not(${c_1} = '')`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Refs(), []string{"b", "a", "c_1"}; !slices.Equal(got, want) {
		t.Errorf("Refs = %v, want %v", got, want)
	}
	// Refs returns a copy.
	c.Refs()[0] = "zzz"
	if c.Refs()[0] != "b" {
		t.Error("Refs shares its slice with the condition")
	}
}

func TestParseCondition_Errors(t *testing.T) {
	bad := []string{
		`${a`,
		`${}`,
		`$a`,
		`${1a} = 1`,
		`${a} = 'x`,
		`${a} == 'x'`,
		`${a} = `,
		`= 1`,
		`${a} = 1 = 2`,
		`${a} 1`,
		`(${a} = 1`,
		`${a} = 1)`,
		`not ${a}`,
		`not(${a}`,
		`selected(${a})`,
		`selected(${a}, ${b})`,
		`selected('a', 'b')`,
		`count-selected('a')`,
		`count-selected(${a}, 'x')`,
		`${a} = 'x' and`,
		`${a} = 'x' xor ${b} = 'y'`,
		`AND`,
		`${a} ! 'x'`,
		`1.2.3 = 1`,
		`${a} = 'x' # comment`,
		strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100),
		strings.Repeat("x", maxConditionLen+1),
	}
	for _, s := range bad {
		c, err := ParseCondition(s)
		if err == nil {
			t.Errorf("ParseCondition(%q) = %v, want an error", s, c)
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.EINVALID || len(ae.Fields) != 1 || ae.Fields[0].Field != "relevant" ||
			ae.Fields[0].Message.Vi == "" || ae.Fields[0].Message.En == "" {
			t.Errorf("ParseCondition(%q) error = %#v, want EINVALID on field relevant in both languages", s, err)
		}
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		`${visited} = 'yes' and ${age} >= 18`,
		`not(selected(${roles}, 'owner')) or count-selected(${roles}) > 2`,
		`(${a} != "x") and (${b} < -3.5 or ${c} = '')`,
		`${q_gave_feedback} = 'yes'`,
		`((((`,
		`${`,
		`'unterminated`,
		`-.5 <= .5`,
		"",
	} {
		f.Add(s)
	}
	answers := Answers{"visited": "yes", "age": float64(20), "roles": []string{"owner"}, "a": "x", "b": []any{"1"}}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseCondition(%q) returned a condition with an error", s)
			}
			return
		}
		c.Eval(answers)
		c.Eval(nil)
		for _, r := range c.Refs() {
			if r == "" {
				t.Fatalf("ParseCondition(%q): empty reference", s)
			}
		}
		// What parses once parses again to the same references.
		again, err := ParseCondition(c.String())
		if err != nil || !slices.Equal(again.Refs(), c.Refs()) {
			t.Fatalf("re-parsing %q: %v, refs %v vs %v", s, err, again.Refs(), c.Refs())
		}
	})
}
