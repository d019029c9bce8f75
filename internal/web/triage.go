package web

import (
	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
)

// triageView is the coordinator's inbox: new reports with the routing
// suggestion, extension requests to decide, and what is overdue anywhere.
type triageView struct {
	page
	New, Extensions, Overdue []queueRow
	Agencies                 []option
}

func (w *Console) triagePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return w.failErr(c, err)
	}
	n := namesOf(ref, lang)
	now := w.cfg.Reports.Now()
	v := triageView{page: w.base(c, tr(lang, "triage.title"), "triage"), Agencies: agencyOptions(ref, lang, "", false)}
	for _, q := range []struct {
		in  feedback.QueueInput
		out *[]queueRow
	}{
		{feedback.QueueInput{Status: string(feedback.StatusSubmitted), Limit: 100}, &v.New},
		{feedback.QueueInput{ExtensionPending: true, Limit: 100}, &v.Extensions},
		{feedback.QueueInput{OverdueOnly: true, Limit: 100}, &v.Overdue},
	} {
		list, _, err := w.cfg.Reports.Queue(ctx, u, q.in)
		if err != nil {
			return w.failErr(c, err)
		}
		for _, r := range list {
			*q.out = append(*q.out, w.row(&r, n, ref.Calendar, now, lang))
		}
	}
	return w.render(c, fiber.StatusOK, "triage", "", v)
}
