package web

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// queueFilter is what the queue's filter form and tabs carry in the URL.
type queueFilter struct {
	Status   string
	Category string
	Agency   string
	Overdue  bool
	Q        string
	Cursor   string
}

func readQueueFilter(c *fiber.Ctx) queueFilter {
	return queueFilter{Status: c.Query("status"), Category: c.Query("category"), Agency: c.Query("agency"),
		Overdue: c.Query("overdue") == "1", Q: c.Query("q"), Cursor: c.Query("cursor")}
}

// url writes the filter back as a query string, with one field changed by
// the caller where needed.
func (f queueFilter) url(base string) string {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "category": f.Category, "agency": f.Agency, "q": f.Q, "cursor": f.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Overdue {
		v.Set("overdue", "1")
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

func (f queueFilter) input() feedback.QueueInput {
	return feedback.QueueInput{Status: f.Status, CategoryCode: f.Category, AgencyCode: f.Agency, OverdueOnly: f.Overdue, Q: f.Q, Cursor: f.Cursor, Limit: 50}
}

// option is one entry of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// tab is one status tab with its count.
type tab struct {
	Label  string
	Count  int
	URL    string
	Active bool
}

// queueRow is one report in a list: only what a list shows, no reporter.
type queueRow struct {
	ID, Code, Category, Area, Agency string
	AgencyCode, SuggestReason        string
	Status                           feedback.Status
	Urgent, Overdue                  bool
	Received                         time.Time
	Due                              time.Time
	DueText                          string
	Version                          int64
	ExtensionDue                     time.Time
	ExtensionReason                  string
}

// queueView is the officer's work queue.
type queueView struct {
	page
	Filter      queueFilter
	Tabs        []tab
	Categories  []option
	Agencies    []option
	ShowAgency  bool
	Rows        []queueRow
	NextURL     string
	RowsURL     string
	PollSeconds int
}

func (w *Console) queuePage(c *fiber.Ctx) error {
	v, err := w.queueView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "queue", "", v)
}

// queueRows is the fragment an open queue polls: the rows only, read from
// the store each time, so reports submitted through any instance appear.
func (w *Console) queueRows(c *fiber.Ctx) error {
	v, err := w.queueView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "queue", "live", v)
}

func (w *Console) queueView(c *fiber.Ctx) (queueView, error) {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	f := readQueueFilter(c)
	v := queueView{page: w.base(c, tr(lang, "queue.title"), "queue"), Filter: f,
		ShowAgency: u.Can(identity.PermReportsAll), PollSeconds: max(1, int(w.cfg.PollInterval.Seconds()))}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return v, err
	}
	names := namesOf(ref, lang)
	list, next, err := w.cfg.Reports.Queue(ctx, u, f.input())
	if err != nil {
		return v, err
	}
	now := w.cfg.Reports.Now()
	for _, r := range list {
		v.Rows = append(v.Rows, w.row(&r, names, ref.Calendar, now, lang))
	}
	if next != nil {
		nf := f
		nf.Cursor = next.Encode()
		v.NextURL = nf.url("/console/queue")
	}
	rf := f
	rf.Cursor = ""
	v.RowsURL = rf.url("/console/queue/rows")

	counts, err := w.cfg.Reports.QueueCounts(ctx, u, func() feedback.QueueInput { in := rf.input(); in.Status = ""; return in }())
	if err != nil {
		return v, err
	}
	open := 0
	for _, s := range feedback.OpenStatuses {
		open += counts[s]
	}
	tf := rf
	tf.Status = ""
	v.Tabs = append(v.Tabs, tab{Label: tr(lang, "queue.open"), Count: open, URL: tf.url("/console/queue"), Active: f.Status == ""})
	for _, s := range []feedback.Status{feedback.StatusSubmitted, feedback.StatusDispatched, feedback.StatusAccepted,
		feedback.StatusInProgress, feedback.StatusResolved, feedback.StatusClosed, feedback.StatusRejected} {
		if s == feedback.StatusSubmitted && !u.Can(identity.PermReportsAll) {
			continue // officers never hold reports before dispatch
		}
		tf.Status = string(s)
		v.Tabs = append(v.Tabs, tab{Label: statusLabel(lang, s), Count: counts[s], URL: tf.url("/console/queue"), Active: f.Status == string(s)})
	}
	v.Categories = append(v.Categories, option{Value: "", Label: tr(lang, "filter.any")})
	for _, cat := range ref.Categories {
		if !cat.OutOfScope {
			v.Categories = append(v.Categories, option{Value: cat.Code, Label: cat.Name.In(lang), Selected: cat.Code == f.Category})
		}
	}
	if v.ShowAgency {
		v.Agencies = agencyOptions(ref, lang, f.Agency, true)
	}
	return v, nil
}

// names resolves codes to names in one language.
type names struct {
	categories, areas, agencies map[string]string
}

func namesOf(ref *feedback.Reference, lang i18n.Lang) names {
	n := names{map[string]string{}, map[string]string{}, map[string]string{}}
	for _, c := range ref.Categories {
		n.categories[c.Code] = c.Name.In(lang)
	}
	for _, a := range ref.Areas {
		n.areas[a.Code] = a.Name.In(lang)
	}
	for _, a := range ref.Agencies {
		n.agencies[a.Code] = a.Name.In(lang)
	}
	return n
}

func agencyOptions(ref *feedback.Reference, lang i18n.Lang, selected string, any bool) []option {
	var out []option
	if any {
		out = append(out, option{Value: "", Label: tr(lang, "filter.any")})
	}
	for _, a := range ref.Agencies {
		if a.Active {
			out = append(out, option{Value: a.Code, Label: a.Name.In(lang), Selected: a.Code == selected})
		}
	}
	return out
}

// row builds a list row; the deadline shown is the one the report's current
// status runs against (dispatch, response, resolution), as working time left
// or overdue.
func (w *Console) row(r *feedback.Report, n names, cal feedback.Calendar, now time.Time, lang i18n.Lang) queueRow {
	row := queueRow{ID: r.ID, Code: r.TrackingCode, Category: n.categories[r.CategoryCode], Area: n.areas[r.AreaCode],
		Agency: n.agencies[r.AgencyCode], AgencyCode: r.AgencyCode, SuggestReason: r.RoutingReason.In(lang), Status: r.Status,
		Urgent: r.Urgent, Received: r.CreatedAt, Due: r.NextDue(), Version: r.Version}
	if r.Extension != nil {
		row.ExtensionDue, row.ExtensionReason = r.Extension.DueAt, r.Extension.Reason
	}
	row.DueText = dueText(cal, row.Due, now, lang)
	row.Overdue = !row.Due.IsZero() && now.After(row.Due)
	return row
}

// dueText says how long is left before due in working time ("còn 3 giờ
// 20 phút giờ làm việc"), or how long ago it passed.
func dueText(cal feedback.Calendar, due, now time.Time, lang i18n.Lang) string {
	if due.IsZero() {
		return "—"
	}
	if now.After(due) {
		return tr(lang, "overdue") + " " + formatDuration(lang, now.Sub(due))
	}
	left := cal.WorkingTimeBetween(now, due)
	if left <= 0 { // due on a day off: counted in clock hours
		return tr(lang, "left") + " " + formatDuration(lang, due.Sub(now))
	}
	return tr(lang, "left") + " " + formatDuration(lang, left) + " " + tr(lang, "working")
}
