package feedback_test

import (
	"testing"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// TestReferenceNamesRefuseHostileText: a name with a bidi override or a
// control character is refused; Vietnamese letters are fine.
func TestReferenceNamesRefuseHostileText(t *testing.T) {
	ok := feedback.Category{Code: "cay-xanh", Name: i18n.T("Cây xanh đô thị", "Urban trees")}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a Vietnamese name refused: %v", err)
	}
	for _, name := range []string{"Cây \u202Exanh", "Cây xanh\x00", "Cây \u2067xanh"} {
		c := feedback.Category{Code: "cay-xanh", Name: i18n.T(name, "Urban trees")}
		if err := c.Validate(); apperr.CodeOf(err) != apperr.EINVALID {
			t.Errorf("name %q: got %v, want EINVALID", name, err)
		}
	}
}
