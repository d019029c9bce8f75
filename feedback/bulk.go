package feedback

import "context"

// BulkReportStore is a ReportStore that can also load many reports at once:
// imports and load tests fill a store with it in minutes instead of hours.
type BulkReportStore interface {
	// CreateReports stores the reports as CreateReport would, each with
	// Version 1. Returns ECONFLICT if an ID or tracking code exists; then
	// SQLite stored none of them, MongoDB (no transactions) perhaps some.
	CreateReports(ctx context.Context, rs []Report) error
}
