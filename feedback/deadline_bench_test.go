package feedback_test

import (
	"testing"
	"time"

	"camaug/feedback"
)

// BenchmarkDeadlinesFor is the deadline computation every submission makes.
func BenchmarkDeadlinesFor(b *testing.B) {
	ref, err := feedback.DefaultReference()
	if err != nil {
		b.Fatal(err)
	}
	cat := ref.Categories[0]
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for b.Loop() {
		ref.Calendar.DeadlinesFor(at, cat, false)
	}
}
