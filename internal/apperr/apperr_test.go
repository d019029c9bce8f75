package apperr

import (
	"errors"
	"fmt"
	"testing"

	"camaug/internal/i18n"
)

func TestError_Is(t *testing.T) {
	err := fmt.Errorf("loading: %w", NotFound(i18n.T("Không tìm thấy", "Not found")))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false, want true", err)
	}
	if errors.Is(err, ErrConflict) {
		t.Errorf("errors.Is(%v, ErrConflict) = true, want false", err)
	}
	if got := CodeOf(err); got != ENOTFOUND {
		t.Errorf("CodeOf = %s, want ENOTFOUND", got)
	}
	if got := CodeOf(errors.New("boom")); got != EINTERNAL {
		t.Errorf("CodeOf(plain) = %s, want EINTERNAL", got)
	}
	if got := CodeOf(nil); got != "" {
		t.Errorf("CodeOf(nil) = %q, want empty", got)
	}
}
