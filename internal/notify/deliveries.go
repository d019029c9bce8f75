package notify

import (
	"context"
	"time"
)

// DeliveryStore keeps the per-destination state of outbox notifications,
// so the fan-out resends a notification only to the destinations that did
// not get it yet.
type DeliveryStore interface {
	// DoneDestinations returns which of destinations are done with the
	// notification: delivered, or refused for good.
	DoneDestinations(ctx context.Context, notificationID string, destinations []string) (map[string]bool, error)
	// MarkDestinationDone records that destination is done with the
	// notification at at; gaveUp when it refused it for good (lastErr
	// says why). Marking twice keeps the first record.
	MarkDestinationDone(ctx context.Context, notificationID, destination string, at time.Time, gaveUp bool, lastErr string) error
}
