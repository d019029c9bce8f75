package feedback

import (
	"testing"
	"time"
)

func TestQueueCursor_RoundTrip(t *testing.T) {
	for name, c := range map[string]QueueCursor{
		"open":    {Urgent: true, NextDue: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), ID: "01m92hgtjyjpvr7wz6benz9c9f"},
		"handled": {Urgent: false, ID: "01m92hgtjyjpvr7wz6benz9c9f"}, // waits for nothing: no next deadline
	} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeQueueCursor(c.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if got.Urgent != c.Urgent || !got.NextDue.Equal(c.NextDue) || got.NextDue.IsZero() != c.NextDue.IsZero() || got.ID != c.ID {
				t.Fatalf("got %+v, want %+v", *got, c)
			}
		})
	}
}
