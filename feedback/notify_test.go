package feedback

import (
	"testing"
	"time"

	"camaug/internal/identity"
)

func TestNotificationsFor(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, ref.Calendar.Location())
	coord := identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}
	water := identity.Principal{UserID: "o1", Role: identity.RoleOfficer, AgencyCode: "cap-nuoc-ca-mau"}
	r := &Report{ID: "r1", TrackingCode: "CM-AAAA-BBBB", ReporterID: "u1", ContactPhone: "+84912345678", CategoryCode: "cap-thoat-nuoc",
		AgencyCode: "cap-nuoc-ca-mau", Status: StatusSubmitted, Version: 1, CreatedAt: now}
	ids := func(ns []Notification) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}

	d, ev, err := Apply(coord, r, TransitionInput{Action: ActDispatch}, now, ref)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(ev.Notify)
	if len(got) != 2 || got[0] != "r1#2/reporter" || got[1] != "r1#2/agency/cap-nuoc-ca-mau" {
		t.Fatalf("dispatch notifies %v, want the reporter and the agency", got)
	}
	rep := ev.Notify[0]
	if rep.UserID != "u1" || rep.AgencyCode != "" || rep.TrackingCode != "CM-AAAA-BBBB" || rep.ToStatus != StatusDispatched ||
		!rep.NextAttemptAt.Equal(now.UTC()) {
		t.Fatalf("reporter entry: %+v", rep)
	}
	if ev.Notify[1].UserID != "" {
		t.Fatal("the agency's entry names the reporter's account")
	}

	a, _, err := Apply(water, d, TransitionInput{Action: ActAccept}, now, ref)
	if err != nil {
		t.Fatal(err)
	}
	_, ev, err = Apply(water, a, TransitionInput{Action: ActTransfer, ToAgencyCode: "so-xay-dung", Note: "thuộc hạ tầng đô thị"}, now, ref)
	if err != nil {
		t.Fatal(err)
	}
	got = ids(ev.Notify)
	if len(got) != 3 || got[1] != "r1#4/agency/so-xay-dung" || got[2] != "r1#4/agency/cap-nuoc-ca-mau" {
		t.Fatalf("transfer notifies %v, want the reporter, the new agency and the old one", got)
	}
}
