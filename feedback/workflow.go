package feedback

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// Action is a step in a report's handling.
type Action string

// The actions.
const (
	ActDispatch         Action = "dispatch"
	ActAccept           Action = "accept"
	ActStart            Action = "start"
	ActResolve          Action = "resolve"
	ActReject           Action = "reject"
	ActTransfer         Action = "transfer"
	ActRequestExtension Action = "request_extension"
	ActApproveExtension Action = "approve_extension"
	ActRefuseExtension  Action = "refuse_extension"
	ActReopen           Action = "reopen"
	ActClose            Action = "close"
)

// ReopenWindow is how long after resolution the reporter may reopen.
const ReopenWindow = 7 * 24 * time.Hour

// actor says who may take an action on a report.
type actor int

const (
	byCoordinator actor = 1 << iota // coordinators and admins (reports.all)
	byAgency                        // staff of the agency the report is routed to
	byReporter                      // the person who reported it
	bySystem                        // the service itself (automatic close)
)

// step is one row of the workflow table.
type step struct {
	from  []Status
	to    Status // "" keeps the status
	who   actor
	needs []string // input fields that must be set: note, to_agency_code, due_at
}

// workflow is the whole handling procedure in one table (QĐ 17/2022/QĐ-UBND):
// which action moves a report from which statuses to which, and who may
// take it.
var workflow = map[Action]step{
	ActDispatch:         {from: []Status{StatusSubmitted}, to: StatusDispatched, who: byCoordinator},
	ActAccept:           {from: []Status{StatusDispatched}, to: StatusAccepted, who: byAgency | byCoordinator},
	ActStart:            {from: []Status{StatusAccepted}, to: StatusInProgress, who: byAgency | byCoordinator},
	ActResolve:          {from: []Status{StatusAccepted, StatusInProgress}, to: StatusResolved, who: byAgency | byCoordinator, needs: []string{"note"}},
	ActReject:           {from: []Status{StatusSubmitted, StatusDispatched}, to: StatusRejected, who: byCoordinator, needs: []string{"note"}},
	ActTransfer:         {from: []Status{StatusDispatched, StatusAccepted, StatusInProgress}, to: StatusDispatched, who: byAgency | byCoordinator, needs: []string{"note", "to_agency_code"}},
	ActRequestExtension: {from: []Status{StatusAccepted, StatusInProgress}, who: byAgency, needs: []string{"note", "due_at"}},
	ActApproveExtension: {from: []Status{StatusAccepted, StatusInProgress}, who: byCoordinator},
	ActRefuseExtension:  {from: []Status{StatusAccepted, StatusInProgress}, who: byCoordinator, needs: []string{"note"}},
	ActReopen:           {from: []Status{StatusResolved}, to: StatusInProgress, who: byReporter, needs: []string{"note"}},
	ActClose:            {from: []Status{StatusResolved}, to: StatusClosed, who: bySystem | byCoordinator},
}

// MaxExtensionYears bounds how far ahead an extension may set the
// resolution deadline: further is a typing mistake, not a plan.
const MaxExtensionYears = 5

// TransitionInput is what a caller sends with an action.
type TransitionInput struct {
	Action       Action
	Note         string
	ToAgencyCode string
	DueAt        *time.Time
	DuplicateOf  string
	// ExpectedVersion is the report's version the caller's form was built
	// from; when set (not 0) and the report has moved on since, the action
	// is refused with ErrStaleForm instead of applied to a state the
	// caller never saw.
	ExpectedVersion int64
}

// Event is one entry of a report's history.
type Event struct {
	ReportID    string
	Version     int64 // the report's version after the event; unique per report
	Action      Action
	FromStatus  Status
	ToStatus    Status
	ActorID     string // never shown to citizens
	ActorRole   identity.Role
	AgencyCode  string // the acting agency, for staff
	ToAgency    string
	Note        string
	DueAt       *time.Time
	DuplicateOf string
	At          time.Time
	// Notify is the outbox entries the change writes, one per party; the
	// store writes them with the event. History reads leave it empty.
	Notify []Notification
}

// roles returns what p is to r.
func roles(p identity.Principal, r *Report) actor {
	var a actor
	if p.Can(identity.PermReportsAll) {
		a |= byCoordinator
	}
	if p.Can(identity.PermReportsHandle) && p.AgencyCode != "" && p.AgencyCode == r.AgencyCode {
		a |= byAgency
	}
	if !p.IsAnonymous() && p.UserID == r.ReporterID {
		a |= byReporter
	}
	if p == systemPrincipal {
		a |= bySystem
	}
	return a
}

// SystemActorID is the ActorID of events the service makes on its own
// (automatic dispatch, automatic close).
const SystemActorID = "system"

// systemPrincipal is the service acting on its own.
var systemPrincipal = identity.Principal{UserID: SystemActorID, Role: identity.RoleAdmin}

// AllowedActions lists the actions p may take on r now, sorted.
func AllowedActions(p identity.Principal, r *Report, now time.Time) []Action {
	var out []Action
	for a := range workflow {
		if allowed(p, r, a, now) == nil {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func allowed(p identity.Principal, r *Report, a Action, now time.Time) error {
	s, ok := workflow[a]
	if !ok {
		return apperr.Invalid(i18n.T("Thao tác không tồn tại", "unknown action"), apperr.FieldError{Field: "action", Message: i18n.T("Thao tác không tồn tại", "is not an action")})
	}
	if roles(p, r)&s.who == 0 {
		return identity.ErrForbidden()
	}
	in := false
	for _, f := range s.from {
		in = in || f == r.Status
	}
	switch {
	case !in:
		return errNotNow
	case (a == ActApproveExtension || a == ActRefuseExtension) && r.Extension == nil:
		return errNotNow
	case a == ActRequestExtension && r.Extension != nil:
		return errNotNow
	case a == ActReopen && (r.ResolvedAt == nil || now.Sub(*r.ResolvedAt) > ReopenWindow):
		return errNotNow
	}
	return nil
}

// ErrStaleForm is the ECONFLICT of an action sent from a form built on an
// older version of the report than the stored one; its field
// expected_version names the current version.
func ErrStaleForm(current int64) error {
	e := apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Phản ánh đã được người khác cập nhật; hãy tải lại trang",
		"the report was changed by someone else since you opened it; reload it"))
	e.Fields = []apperr.FieldError{fieldErr("expected_version", fmt.Sprintf("Phiên bản hiện tại là %d", current),
		fmt.Sprintf("the report is now at version %d", current))}
	return e
}

// checkVersion refuses a change made from a stale form (expected is 0 when
// the caller does not check).
func checkVersion(r *Report, expected int64) error {
	switch {
	case expected < 0:
		return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"),
			fieldErr("expected_version", "Phiên bản phải là số dương", "must be a positive version"))
	case expected != 0 && expected != r.Version:
		return ErrStaleForm(r.Version)
	}
	return nil
}

var errNotNow = apperr.ConflictOf(apperr.KindState, i18n.T("Không thể thực hiện thao tác này ở trạng thái hiện tại", "this action is not possible in the report's current state"))

// Extension is an agency's request for more time to resolve.
type Extension struct {
	DueAt       time.Time
	Reason      string
	RequestedAt time.Time
}

// Apply checks that p may take in.Action on r now and returns the report
// as the action leaves it (version bumped) and the history event. r is not
// modified. agencies resolves a transfer's target; calendar and category
// recompute deadlines when a new agency's clock starts.
func Apply(p identity.Principal, r *Report, in TransitionInput, now time.Time, ref *Reference) (*Report, Event, error) {
	if err := checkVersion(r, in.ExpectedVersion); err != nil {
		return nil, Event{}, err
	}
	if err := allowed(p, r, in.Action, now); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT || apperr.CodeOf(err) == apperr.EFORBIDDEN {
			return nil, Event{}, notAllowed(p, r, in.Action, now)
		}
		return nil, Event{}, err
	}
	s := workflow[in.Action]
	var fs []apperr.FieldError
	note := clean(in.Note)
	for _, need := range s.needs {
		switch {
		case need == "note" && utf8.RuneCountInString(note) < 3:
			fs = append(fs, fieldErr("note", "Cần nêu lý do hoặc nội dung (ít nhất 3 ký tự)", "is required (at least 3 characters)"))
		case need == "to_agency_code" && in.ToAgencyCode == "":
			fs = append(fs, fieldErr("to_agency_code", "Cần chọn cơ quan nhận", "is required"))
		case need == "due_at" && in.DueAt == nil:
			fs = append(fs, fieldErr("due_at", "Cần thời hạn mới", "is required"))
		}
	}
	if utf8.RuneCountInString(note) > 4000 {
		fs = append(fs, fieldErr("note", "Tối đa 4000 ký tự", "must be at most 4000 characters"))
	}
	next := *r
	next.Version = r.Version + 1
	next.UpdatedAt = now.UTC()
	if s.to != "" {
		next.Status = s.to
	}
	ev := Event{ReportID: r.ID, Version: next.Version, Action: in.Action, FromStatus: r.Status, ToStatus: next.Status,
		ActorID: p.UserID, ActorRole: p.Role, Note: note, At: now.UTC()}
	if p.Role == identity.RoleOfficer || p.Role == identity.RoleAgencyAdmin {
		ev.AgencyCode = p.AgencyCode
	}

	if in.Action == ActDispatch {
		next.DispatchedAt = ptr(now.UTC())
		// QĐ 17/2022/QĐ-UBND: the agency's response time counts from the
		// actual dispatch, not from the dispatch deadline.
		if cat, ok := categoryOf(ref, r.CategoryCode); ok {
			next.Deadlines.ResponseDue = ref.Calendar.ResponseDueFrom(now, cat, r.Urgent)
		}
	}
	switch in.Action {
	case ActAccept:
		if next.RespondedAt == nil {
			next.RespondedAt = ptr(now.UTC())
		}
	case ActResolve:
		// A request for more time is moot once resolved; a reopened
		// report must not bring it back.
		next.Answer, next.ResolvedAt, next.Extension = note, ptr(now.UTC()), nil
	case ActReopen:
		next.ResolvedAt = nil
	case ActReject:
		if in.DuplicateOf != "" {
			if in.DuplicateOf == r.ID {
				fs = append(fs, fieldErr("duplicate_of", "Không thể trùng với chính nó", "cannot be the report itself"))
			}
			next.DuplicateOf, ev.DuplicateOf = in.DuplicateOf, in.DuplicateOf
		}
		next.RejectReason = note
	case ActTransfer, ActDispatch:
		if in.ToAgencyCode == "" {
			break
		}
		ag, ok := activeAgency(ref, in.ToAgencyCode)
		switch {
		case !ok:
			fs = append(fs, fieldErr("to_agency_code", "Cơ quan không tồn tại hoặc đã ngừng hoạt động", "is not an active agency"))
		case ag.Code == r.AgencyCode && in.Action == ActTransfer:
			fs = append(fs, fieldErr("to_agency_code", "Phản ánh đã thuộc cơ quan này", "the report is already with this agency"))
		default:
			next.AgencyCode, next.RoutingRule, ev.ToAgency = ag.Code, "", ag.Code
			next.RoutingReason = i18n.T("chuyển đến "+ag.Name.Vi, "transferred to "+ag.Name.In(i18n.EN))
			if note != "" {
				next.RoutingReason = i18n.T(fmt.Sprintf("chuyển đến %s: %s", ag.Name.Vi, note), fmt.Sprintf("transferred to %s: %s", ag.Name.In(i18n.EN), note))
			}
			if in.Action == ActTransfer {
				// The new agency's clock starts now.
				if cat, ok := categoryOf(ref, r.CategoryCode); ok {
					next.Deadlines = ref.Calendar.DeadlinesFor(now, cat, r.Urgent)
					if r.DispatchedAt != nil {
						// Already dispatched: the new agency has it now.
						next.Deadlines.ResponseDue = ref.Calendar.ResponseDueFrom(now, cat, r.Urgent)
					}
				}
				next.Extension = nil
				next.RespondedAt = nil
			}
		}
	case ActRequestExtension:
		switch {
		case in.DueAt == nil:
		case !in.DueAt.After(r.Deadlines.ResolutionDue):
			fs = append(fs, fieldErr("due_at", "Thời hạn mới phải sau thời hạn hiện tại", "must be after the current resolution deadline"))
		case in.DueAt.After(now.AddDate(MaxExtensionYears, 0, 0)):
			fs = append(fs, fieldErr("due_at", fmt.Sprintf("Thời hạn mới phải trong vòng %d năm tới", MaxExtensionYears),
				fmt.Sprintf("must be within %d years from now", MaxExtensionYears)))
		}
		if in.DueAt != nil {
			next.Extension, ev.DueAt = &Extension{DueAt: in.DueAt.UTC(), Reason: note, RequestedAt: now.UTC()}, ptr(in.DueAt.UTC())
		}
	case ActApproveExtension:
		next.Deadlines.ResolutionDue, ev.DueAt = r.Extension.DueAt, ptr(r.Extension.DueAt)
		next.Extension = nil
	case ActRefuseExtension:
		// The deadline stands; the agency may ask again.
		next.Extension = nil
	}
	if len(fs) > 0 {
		return nil, Event{}, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	ev.Notify = notificationsFor(r, &next, ev)
	return &next, ev, nil
}

// notAllowed is the 409 (or 403) that lists what the caller may do now.
func notAllowed(p identity.Principal, r *Report, a Action, now time.Time) error {
	acts := AllowedActions(p, r, now)
	if len(acts) == 0 && roles(p, r) == 0 {
		return identity.ErrForbidden()
	}
	names := make([]string, len(acts))
	for i, x := range acts {
		names[i] = string(x)
	}
	list := strings.Join(names, ", ")
	if list == "" {
		list = "—"
	}
	e := apperr.ConflictOf(apperr.KindState, i18n.T(
		fmt.Sprintf("Không thể %s khi phản ánh ở trạng thái %s. Có thể: %s", a, r.Status, list),
		fmt.Sprintf("cannot %s a report that is %s; allowed now: %s", a, r.Status, list)))
	e.Fields = []apperr.FieldError{{Field: "action", Message: i18n.T("Được phép: "+list, "allowed: "+list)}}
	return e
}

func activeAgency(ref *Reference, code string) (Agency, bool) {
	for _, a := range ref.Agencies {
		if a.Code == code && a.Active {
			return a, true
		}
	}
	return Agency{}, false
}

func categoryOf(ref *Reference, code string) (Category, bool) {
	for _, c := range ref.Categories {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}

func ptr[T any](v T) *T { return &v }
