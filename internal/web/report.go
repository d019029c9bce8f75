package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// eventRow is one history entry as staff see it: the acting role and
// agency, never a reporter's identity.
type eventRow struct {
	At       time.Time
	Action   string
	Actor    string
	Agency   string
	ToAgency string
	Note     string
	DueAt    *time.Time
	Status   feedback.Status
}

// actionForm is one action the workflow allows this user now, with what
// its form needs.
type actionForm struct {
	Name         string // the workflow action, or "duplicate" / "reroute"
	NeedsNote    bool
	NoteKey      string // label of the note field
	NeedsAgency  bool
	NeedsDue     bool
	NeedsDupOf   bool
	Open         bool // re-shown after a failed post
	Agencies     []option
	Errors       map[string]string
	Note, DueAt  string
	DuplicateOf  string
	Message      string // the form-level error
	ButtonDanger bool
}

type nearbyRow struct {
	ID, Code, Category string
	Status             feedback.Status
	Distance           int
}

// reportView is the report page.
type reportView struct {
	page
	ID, Code, Title, Description, Address string
	Category, Area, Agency                string
	Status                                feedback.Status
	Urgent                                bool
	Lat, Lng                              float64
	TileURL                               string
	Photos                                []string
	Received                              time.Time
	Deadlines                             feedback.Deadlines
	DueText                               string
	Overdue                               bool
	Extension                             *feedback.Extension
	RoutingReason, Answer, RejectReason   string
	DuplicateOf                           string
	Anonymous                             bool
	Contact                               string
	Support                               int
	Version                               int64
	History                               []eventRow
	Actions                               []actionForm
	Nearby                                []nearbyRow
	Return                                string
}

func (w *Console) reportPage(c *fiber.Ctx) error {
	v, err := w.reportView(c, string([]byte(c.Params("id"))), nil)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "report", "", v)
}

// failed is a post that the domain refused, to re-show in its form.
type failed struct {
	action string
	err    error
	form   map[string]string
}

func (w *Console) reportView(c *fiber.Ctx, id string, f *failed) (reportView, error) {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	r, view, err := w.cfg.Reports.Get(ctx, u, id)
	if err != nil {
		return reportView{}, err
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return reportView{}, err
	}
	n := namesOf(ref, lang)
	now := w.cfg.Reports.Now()
	v := reportView{page: w.base(c, tr(lang, "report")+" "+r.TrackingCode, "queue"),
		ID: r.ID, Code: r.TrackingCode, Title: r.Title, Description: r.Description, Address: r.Address,
		Category: n.categories[r.CategoryCode], Area: n.areas[r.AreaCode], Agency: n.agencies[r.AgencyCode],
		Status: r.Status, Urgent: r.Urgent, Lat: r.Location.Lat, Lng: r.Location.Lng, TileURL: w.tileURL,
		Received: r.CreatedAt, Deadlines: r.Deadlines, Extension: r.Extension,
		RoutingReason: r.RoutingReason.In(lang), Answer: r.Answer, RejectReason: r.RejectReason, DuplicateOf: r.DuplicateOf,
		Anonymous: r.Anonymous, Support: r.SupportCount, Version: r.Version, Return: safeNext(c.Query("return"))}
	if c.Query("return") == "" {
		v.Return = "/console/queue"
	}
	// The same confidentiality rule as the API: the reporter's contact only
	// when they chose to share it.
	if view == feedback.ViewReporter || !r.Anonymous {
		v.Contact = r.ContactPhone
	}
	v.DueText = dueText(ref.Calendar, r.NextDue(), now, lang)
	v.Overdue = !r.NextDue().IsZero() && now.After(r.NextDue())
	photos, err := w.cfg.Reports.Photos(ctx, r.ID)
	if err != nil {
		return v, err
	}
	for _, p := range photos {
		v.Photos = append(v.Photos, p.ID)
	}
	events, _, err := w.cfg.Reports.History(ctx, u, r.ID)
	if err != nil {
		return v, err
	}
	for _, e := range events {
		row := eventRow{At: e.At, Action: string(e.Action), Agency: n.agencies[e.AgencyCode], ToAgency: n.agencies[e.ToAgency],
			Note: e.Note, DueAt: e.DueAt, Status: e.ToStatus}
		switch {
		case e.ActorID == feedback.SystemActorID:
			row.Actor = tr(lang, "system")
		case e.ActorRole == identity.RoleCitizen || e.ActorRole == identity.RoleGuest:
			row.Actor = tr(lang, "report.reporter")
		default:
			row.Actor = roleLabel(lang, e.ActorRole)
		}
		v.History = append(v.History, row)
	}
	v.Actions = w.actionForms(u, r, ref, now, lang, f)
	if u.Can(identity.PermReportsAll) && r.IsOpen() {
		near, err := w.cfg.Reports.FindNearby(ctx, r.Location, "", 300)
		if err != nil {
			return v, err
		}
		for _, x := range near {
			if x.Report.ID != r.ID {
				v.Nearby = append(v.Nearby, nearbyRow{ID: x.Report.ID, Code: x.Report.TrackingCode,
					Category: n.categories[x.Report.CategoryCode], Status: x.Report.Status, Distance: int(x.Distance + 0.5)})
			}
		}
	}
	return v, nil
}

// actionForms lists the forms of the actions the workflow allows u on r
// now. The workflow decides; the page only shows.
func (w *Console) actionForms(u identity.Principal, r *feedback.Report, ref *feedback.Reference, now time.Time, lang i18n.Lang, f *failed) []actionForm {
	var out []actionForm
	add := func(a actionForm) {
		if f != nil && f.action == a.Name {
			a.Open, a.Errors = true, fieldErrors(f.err, lang)
			a.Note, a.DueAt, a.DuplicateOf = f.form["note"], f.form["due_at"], f.form["duplicate_of"]
			a.Message = messageOf(f.err, lang)
			for i := range a.Agencies {
				a.Agencies[i].Selected = a.Agencies[i].Value == f.form["to_agency_code"]
			}
		}
		out = append(out, a)
	}
	for _, act := range feedback.AllowedActions(u, r, now) {
		a := actionForm{Name: string(act)}
		switch act {
		case feedback.ActReopen:
			continue // the reporter's, from the app
		case feedback.ActDispatch:
			a.NeedsAgency, a.Agencies = true, agencyOptions(ref, lang, r.AgencyCode, false)
		case feedback.ActResolve:
			a.NeedsNote, a.NoteKey = true, "form.answer"
		case feedback.ActReject:
			a.NeedsNote, a.NoteKey, a.ButtonDanger = true, "form.reason", true
		case feedback.ActTransfer:
			a.NeedsNote, a.NoteKey, a.NeedsAgency = true, "form.reason", true
			a.Agencies = agencyOptions(ref, lang, "", false)
		case feedback.ActRequestExtension:
			a.NeedsNote, a.NoteKey, a.NeedsDue = true, "form.reason", true
		case feedback.ActRefuseExtension:
			a.NeedsNote, a.NoteKey, a.ButtonDanger = true, "form.reason", true
		}
		add(a)
		if act == feedback.ActReject {
			add(actionForm{Name: "duplicate", NeedsNote: true, NoteKey: "form.reason", NeedsDupOf: true})
		}
	}
	if u.Can(identity.PermReportsAll) && r.IsOpen() && r.Status != feedback.StatusSubmitted {
		add(actionForm{Name: "reroute", NeedsNote: true, NoteKey: "form.reason", NeedsAgency: true,
			Agencies: agencyOptions(ref, lang, "", false)})
	}
	return out
}

// reportAct takes a workflow action from a report page or the triage list.
// A form opened before someone else changed the report carries the old
// version and is refused, never applied over the change.
func (w *Console) reportAct(c *fiber.Ctx) error {
	u, _ := userOf(c)
	id := string([]byte(c.Params("id")))
	form := map[string]string{}
	for _, k := range []string{"action", "note", "to_agency_code", "due_at", "duplicate_of", "expected_version", "return"} {
		form[k] = strings.TrimSpace(c.FormValue(k))
	}
	action := form["action"]
	in := feedback.TransitionInput{Action: feedback.Action(action), Note: form["note"], ToAgencyCode: form["to_agency_code"],
		DuplicateOf: form["duplicate_of"]}
	if action == "duplicate" {
		in.Action = feedback.ActReject
		if in.DuplicateOf == "" {
			return w.reportFailed(c, id, failed{action: action, form: form, err: apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"),
				apperr.FieldError{Field: "duplicate_of", Message: i18n.T("Cần chọn phản ánh gốc", "choose the original report")})})
		}
	}
	ver, err := strconv.ParseInt(form["expected_version"], 10, 64)
	if err != nil || ver < 1 {
		return w.fail(c, fiber.StatusBadRequest, "csrf")
	}
	in.ExpectedVersion = ver
	if form["due_at"] != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", form["due_at"], province)
		if err != nil {
			return w.reportFailed(c, id, failed{action: action, form: form, err: apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"),
				apperr.FieldError{Field: "due_at", Message: i18n.T("Ngày giờ không hợp lệ", "is not a valid date and time")})})
		}
		in.DueAt = &t
	}
	var r *feedback.Report
	if action == "reroute" {
		r, err = w.cfg.Reports.Reroute(c.UserContext(), u, id, feedback.RerouteInput{AgencyCode: form["to_agency_code"],
			Note: form["note"], ExpectedVersion: ver})
	} else {
		r, _, err = w.cfg.Reports.Transition(c.UserContext(), u, id, in)
	}
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.EINVALID, apperr.ECONFLICT:
			return w.reportFailed(c, id, failed{action: action, form: form, err: err})
		}
		return w.failErr(c, err)
	}
	to := safeNext(form["return"])
	if form["return"] == "" {
		to = "/console/reports/" + r.ID
	}
	// An officer who transferred a report away may no longer see it.
	if _, _, err := w.cfg.Reports.Get(c.UserContext(), u, r.ID); err != nil && form["return"] == "" {
		to = "/console/queue"
	}
	return w.redirect(c, to, "done")
}

// reportFailed re-renders the report page with the refused form open, the
// user's input kept and each field's error beside it.
func (w *Console) reportFailed(c *fiber.Ctx, id string, f failed) error {
	v, err := w.reportView(c, id, &f)
	if err != nil {
		return w.failErr(c, err)
	}
	status := statusOf(f.err)
	if status == fiber.StatusInternalServerError {
		status = fiber.StatusUnprocessableEntity
	}
	return w.render(c, status, "report", "", v)
}

// photo serves a report's photo to staff who may see the report, through
// the same rule as the API.
func (w *Console) photo(thumb bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, _ := userOf(c)
		m, b, err := w.cfg.Reports.Photo(c.UserContext(), u, string([]byte(c.Params("id"))), thumb)
		if err != nil {
			return w.failErr(c, err)
		}
		c.Set(fiber.HeaderContentType, m.ContentType)
		c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
		return c.Send(b)
	}
}
