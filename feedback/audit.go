package feedback

import (
	"context"
	"encoding/json"
	"time"

	"camaug/internal/identity"
)

// AuditEntry records one change to the reference data: who made it, to
// what, and the entity before and after.
type AuditEntry struct {
	// ID is time-ordered: listing by ID lists by time.
	ID        string
	At        time.Time
	ActorID   string
	ActorRole identity.Role
	// Kind is category, agency, area, routing_rule, calendar or dataset.
	Kind string
	// Code is the entity's code; empty for a whole dataset.
	Code string
	// Action is create, update, delete or import.
	Action string
	// Before and After are the entity's JSON, nil when there is none (no
	// Before on create, no After on delete). An import holds the counts of
	// the old and the new dataset instead.
	Before, After json.RawMessage
}

// The audit kinds that are not entities, and the audit actions.
const (
	AuditKindCalendar = "calendar"
	AuditKindDataset  = "dataset"

	AuditCreate = "create"
	AuditUpdate = "update"
	AuditDelete = "delete"
	AuditImport = "import"
)

// Actors recorded for changes made without a signed-in user.
const (
	// CLIActorID marks an import run by an operator from the command line.
	CLIActorID = "cli"
	// AuditRoleSystem is the role recorded for the command line and for
	// the service itself (seeding the built-in dataset).
	AuditRoleSystem identity.Role = "system"
)

// AuditStore keeps the audit log of reference data changes. It only grows.
type AuditStore interface {
	// AppendAudit stores e. Returns ECONFLICT if its ID is taken.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns up to limit entries, newest (highest ID) first,
	// starting after the entry with ID before, or at the newest when before
	// is empty.
	ListAudit(ctx context.Context, before string, limit int) ([]AuditEntry, error)
}
