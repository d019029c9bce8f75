package feedback

import (
	"errors"
	"strings"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/identity"
)

func TestWorkflow(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	loc := ref.Calendar.Location()
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, loc) // a Tuesday
	coord := identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}
	water := identity.Principal{UserID: "o1", Role: identity.RoleOfficer, AgencyCode: "cap-nuoc-ca-mau"}
	build := identity.Principal{UserID: "o2", Role: identity.RoleOfficer, AgencyCode: "so-xay-dung"}
	health := identity.Principal{UserID: "o3", Role: identity.RoleOfficer, AgencyCode: "so-y-te"}
	reporter := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
	stranger := identity.Principal{UserID: "u2", Role: identity.RoleCitizen}
	cat, _ := categoryOf(ref, "cap-thoat-nuoc")
	r := &Report{ID: "r1", ReporterID: "u1", CategoryCode: "cap-thoat-nuoc", AgencyCode: "cap-nuoc-ca-mau", Status: StatusSubmitted,
		Version: 1, CreatedAt: now, Deadlines: ref.Calendar.DeadlinesFor(now, cat, false)}

	step := func(p identity.Principal, in TransitionInput, want Status) Event {
		t.Helper()
		next, ev, err := Apply(p, r, in, now, ref)
		if err != nil {
			t.Fatalf("%s by %s: %v", in.Action, p.Role, err)
		}
		if next.Status != want || next.Version != r.Version+1 || ev.Version != next.Version || ev.FromStatus != r.Status || ev.ToStatus != want {
			t.Fatalf("%s: status %s v%d (event v%d %s→%s), want %s v%d", in.Action, next.Status, next.Version, ev.Version, ev.FromStatus, ev.ToStatus, want, r.Version+1)
		}
		r = next
		now = now.Add(30 * time.Minute)
		return ev
	}
	wantErr := func(p identity.Principal, in TransitionInput, code apperr.Code) error {
		t.Helper()
		before := *r
		_, _, err := Apply(p, r, in, now, ref)
		if apperr.CodeOf(err) != code {
			t.Fatalf("%s by %s in %s: got %v, want %s", in.Action, p.Role, r.Status, err, code)
		}
		if r.Status != before.Status || r.Version != before.Version {
			t.Fatal("a refused action changed the report")
		}
		return err
	}

	// Submitted: only the coordinator acts; the agency gets 409 naming what is allowed.
	if got := AllowedActions(coord, r, now); strings.Join(actionNames(got), ",") != "dispatch,reject" {
		t.Fatalf("coordinator on a submitted report may: %v", got)
	}
	err = wantErr(water, TransitionInput{Action: ActAccept}, apperr.ECONFLICT)
	if !strings.Contains(err.Error(), "allowed now") {
		t.Errorf("409 does not list the allowed actions: %v", err)
	}
	wantErr(stranger, TransitionInput{Action: ActDispatch}, apperr.EFORBIDDEN)
	wantErr(coord, TransitionInput{Action: "fly"}, apperr.EINVALID)

	step(coord, TransitionInput{Action: ActDispatch}, StatusDispatched)
	wantErr(health, TransitionInput{Action: ActAccept}, apperr.EFORBIDDEN)
	step(water, TransitionInput{Action: ActAccept}, StatusAccepted)
	step(water, TransitionInput{Action: ActStart}, StatusInProgress)

	// Transfer: needs a target and a reason; the new agency's clock starts.
	wantErr(water, TransitionInput{Action: ActTransfer, Note: "không thuộc thẩm quyền"}, apperr.EINVALID)
	wantErr(water, TransitionInput{Action: ActTransfer, Note: "x", ToAgencyCode: "so-xay-dung"}, apperr.EINVALID)
	wantErr(water, TransitionInput{Action: ActTransfer, Note: "không thuộc thẩm quyền", ToAgencyCode: "so-khong-co"}, apperr.EINVALID)
	oldDue := r.Deadlines.DispatchDue
	ev := step(water, TransitionInput{Action: ActTransfer, Note: "hư hỏng mặt đường", ToAgencyCode: "so-xay-dung"}, StatusDispatched)
	if r.AgencyCode != "so-xay-dung" || ev.ToAgency != "so-xay-dung" || ev.AgencyCode != "cap-nuoc-ca-mau" || !r.Deadlines.DispatchDue.After(oldDue) {
		t.Fatalf("after transfer: agency %s, event %+v, dispatch due %v (was %v)", r.AgencyCode, ev, r.Deadlines.DispatchDue, oldDue)
	}
	wantErr(water, TransitionInput{Action: ActAccept}, apperr.EFORBIDDEN) // the old agency lost it
	step(build, TransitionInput{Action: ActAccept}, StatusAccepted)

	// Extension: request (later than the current due), then approval.
	early := r.Deadlines.ResolutionDue.Add(-time.Hour)
	wantErr(build, TransitionInput{Action: ActRequestExtension, Note: "chờ vật tư", DueAt: &early}, apperr.EINVALID)
	wantErr(coord, TransitionInput{Action: ActApproveExtension}, apperr.ECONFLICT) // nothing to approve
	later := r.Deadlines.ResolutionDue.Add(72 * time.Hour)
	step(build, TransitionInput{Action: ActRequestExtension, Note: "chờ vật tư thay thế", DueAt: &later}, StatusAccepted)
	wantErr(build, TransitionInput{Action: ActApproveExtension}, apperr.ECONFLICT)
	step(coord, TransitionInput{Action: ActApproveExtension}, StatusAccepted)
	if !r.Deadlines.ResolutionDue.Equal(later) || r.Extension != nil {
		t.Fatalf("after approval: resolution due %v, extension %+v", r.Deadlines.ResolutionDue, r.Extension)
	}

	// Resolve needs an answer.
	wantErr(build, TransitionInput{Action: ActResolve}, apperr.EINVALID)
	step(build, TransitionInput{Action: ActResolve, Note: "Đã vá mặt đường và khơi thông cống."}, StatusResolved)
	if r.Answer == "" || r.ResolvedAt == nil {
		t.Fatal("resolve did not record the answer")
	}
	// Reopen: the reporter, with a reason, within 7 days.
	wantErr(stranger, TransitionInput{Action: ActReopen, Note: "vẫn còn ngập"}, apperr.EFORBIDDEN)
	step(reporter, TransitionInput{Action: ActReopen, Note: "vẫn còn ngập sau mưa"}, StatusInProgress)
	step(build, TransitionInput{Action: ActResolve, Note: "Đã nâng cao mặt đường."}, StatusResolved)
	late := *r
	late.ResolvedAt = ptr(now.Add(-8 * 24 * time.Hour))
	if _, _, err := Apply(reporter, &late, TransitionInput{Action: ActReopen, Note: "vẫn còn ngập"}, now, ref); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("reopen after 8 days: got %v, want ECONFLICT", err)
	}
	step(systemPrincipal, TransitionInput{Action: ActClose}, StatusClosed)
	if got := AllowedActions(coord, r, now); len(got) != 0 {
		t.Fatalf("a closed report still allows %v", got)
	}
}

func TestWorkflow_Reject(t *testing.T) {
	ref, _ := DefaultReference()
	coord := identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}
	r := &Report{ID: "r1", ReporterID: "u1", AgencyCode: "cap-nuoc-ca-mau", Status: StatusSubmitted, Version: 3}
	now := time.Now()
	if _, _, err := Apply(coord, r, TransitionInput{Action: ActReject}, now, ref); apperr.CodeOf(err) != apperr.EINVALID {
		t.Fatalf("reject without a reason: got %v", err)
	}
	if _, _, err := Apply(coord, r, TransitionInput{Action: ActReject, Note: "trùng", DuplicateOf: "r1"}, now, ref); apperr.CodeOf(err) != apperr.EINVALID {
		t.Fatalf("duplicate of itself: got %v", err)
	}
	next, ev, err := Apply(coord, r, TransitionInput{Action: ActReject, Note: "trùng phản ánh đã có", DuplicateOf: "r0"}, now, ref)
	if err != nil || next.Status != StatusRejected || next.DuplicateOf != "r0" || ev.DuplicateOf != "r0" || next.RejectReason == "" {
		t.Fatalf("reject as duplicate: %+v, %+v, %v", next, ev, err)
	}
}

func TestWorkflow_RefuseExtension(t *testing.T) {
	ref, _ := DefaultReference()
	coord := identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}
	water := identity.Principal{UserID: "o1", Role: identity.RoleOfficer, AgencyCode: "cap-nuoc-ca-mau"}
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	due := now.Add(48 * time.Hour)
	r := &Report{ID: "r1", ReporterID: "u1", AgencyCode: "cap-nuoc-ca-mau", Status: StatusInProgress, Version: 4,
		Deadlines: Deadlines{ResolutionDue: due}}
	refuse := TransitionInput{Action: ActRefuseExtension, Note: "chưa đủ căn cứ gia hạn"}

	if _, _, err := Apply(coord, r, refuse, now, ref); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("refuse with nothing pending: got %v, want ECONFLICT", err)
	}
	r.Extension = &Extension{DueAt: due.Add(72 * time.Hour), Reason: "chờ vật tư", RequestedAt: now.Add(-time.Hour)}
	if _, _, err := Apply(water, r, refuse, now, ref); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("the agency refusing its own request: got %v, want ECONFLICT", err)
	}
	if _, _, err := Apply(coord, r, TransitionInput{Action: ActRefuseExtension}, now, ref); apperr.CodeOf(err) != apperr.EINVALID {
		t.Fatalf("refuse without a reason: got %v, want EINVALID", err)
	}
	if got := strings.Join(actionNames(AllowedActions(coord, r, now)), ","); !strings.Contains(got, "refuse_extension") {
		t.Fatalf("coordinator with a pending request may: %s, want refuse_extension among them", got)
	}
	next, ev, err := Apply(coord, r, refuse, now, ref)
	if err != nil {
		t.Fatal(err)
	}
	if next.Extension != nil || next.Status != StatusInProgress || !next.Deadlines.ResolutionDue.Equal(due) || next.Version != 5 {
		t.Fatalf("after refusal: extension %+v, status %s, resolution due %v, v%d; want none, in_progress, %v, v5",
			next.Extension, next.Status, next.Deadlines.ResolutionDue, next.Version, due)
	}
	if ev.Action != ActRefuseExtension || ev.Note != refuse.Note || ev.FromStatus != StatusInProgress || ev.ToStatus != StatusInProgress {
		t.Fatalf("event %+v", ev)
	}
	if r.Extension == nil {
		t.Fatal("Apply modified the report it was given")
	}
	// The agency may ask again.
	later := due.Add(24 * time.Hour)
	asked, _, err := Apply(water, next, TransitionInput{Action: ActRequestExtension, Note: "chờ vật tư", DueAt: &later}, now, ref)
	if err != nil {
		t.Fatalf("a new request after refusal: %v", err)
	}
	// Resolving drops a request nobody answered: it is no longer pending.
	done, _, err := Apply(water, asked, TransitionInput{Action: ActResolve, Note: "Đã thay bóng đèn."}, now, ref)
	if err != nil || done.Extension != nil {
		t.Fatalf("resolved with a request pending: extension %+v, %v; want none", done.Extension, err)
	}
}

func TestWorkflow_ExpectedVersion(t *testing.T) {
	ref, _ := DefaultReference()
	coord := identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}
	r := &Report{ID: "r1", ReporterID: "u1", AgencyCode: "cap-nuoc-ca-mau", Status: StatusSubmitted, Version: 3}
	now := time.Now()
	_, _, err := Apply(coord, r, TransitionInput{Action: ActDispatch, ExpectedVersion: 2}, now, ref)
	if apperr.CodeOf(err) != apperr.ECONFLICT || !strings.Contains(err.Error(), "reload") {
		t.Fatalf("a stale form: got %v, want ECONFLICT asking to reload", err)
	}
	var e *apperr.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "expected_version" {
		t.Fatalf("a stale form's fields: %+v, want expected_version", e)
	}
	if _, _, err := Apply(coord, r, TransitionInput{Action: ActDispatch, ExpectedVersion: -1}, now, ref); apperr.CodeOf(err) != apperr.EINVALID {
		t.Fatalf("a negative version: got %v, want EINVALID", err)
	}
	for _, v := range []int64{0, 3} {
		if next, _, err := Apply(coord, r, TransitionInput{Action: ActDispatch, ExpectedVersion: v}, now, ref); err != nil || next.Version != 4 {
			t.Fatalf("expected version %d: %v", v, err)
		}
	}
}

func actionNames(list []Action) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = string(a)
	}
	return out
}

func TestAsTrackingCode(t *testing.T) {
	for q, want := range map[string]string{"CM-7KQ4-X9TP": "CM-7KQ4-X9TP", " cm-7kq4-x9tp ": "CM-7KQ4-X9TP"} {
		if got, ok := AsTrackingCode(q); !ok || got != want {
			t.Errorf("AsTrackingCode(%q) = %q, %v; want %q, true", q, got, ok, want)
		}
	}
	for _, q := range []string{"", "ngập nước", "CM-7KQ4", "CM-7KQ4-X9TP-1", "XX-7KQ4-X9TP"} {
		if _, ok := AsTrackingCode(q); ok {
			t.Errorf("AsTrackingCode(%q) took it for a tracking code", q)
		}
	}
	if code, ok := AsTrackingCode(NewTrackingCode()); !ok {
		t.Errorf("a new tracking code %q is not recognised", code)
	}
}
