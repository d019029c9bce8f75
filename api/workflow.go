package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/identity"
)

type transitionIn struct {
	Action       string     `json:"action" validate:"required,max=40"`
	Note         string     `json:"note" validate:"max=20000"`
	ToAgencyCode string     `json:"to_agency_code" validate:"max=64"`
	DueAt        *time.Time `json:"due_at"`
	DuplicateOf  string     `json:"duplicate_of" validate:"max=64"`
	// ExpectedVersion is the version the caller's form showed; 0 or absent
	// skips the check.
	ExpectedVersion int64 `json:"expected_version" validate:"min=0"`
}

func transitionReport(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in transitionIn
		err := decodeJSON(c, &in)
		id := string([]byte(c.Params("id")))
		tr := feedback.TransitionInput{
			Action: feedback.Action(in.Action), Note: in.Note, ToAgencyCode: in.ToAgencyCode, DueAt: in.DueAt, DuplicateOf: in.DuplicateOf,
			ExpectedVersion: in.ExpectedVersion}
		if err != nil {
			return alsoInvalid(err, svc.CheckTransition(c.UserContext(), principal(c), id, tr))
		}
		r, view, err := svc.Transition(c.UserContext(), principal(c), id, tr)
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		return c.JSON(toReport(r, view, n, localized(c), svc.Now()))
	}
}

type eventOut struct {
	Version     int64      `json:"version"`
	Action      string     `json:"action"`
	FromStatus  string     `json:"from_status"`
	ToStatus    string     `json:"to_status"`
	ActorRole   string     `json:"actor_role"`
	ActorID     string     `json:"actor_id,omitempty"`
	Agency      *codeName  `json:"agency,omitempty"`
	ToAgency    *codeName  `json:"to_agency,omitempty"`
	Note        string     `json:"note,omitempty"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	DuplicateOf string     `json:"duplicate_of,omitempty"`
	At          time.Time  `json:"at"`
}

// reportHistory lists every change. Citizens see the role and agency that
// acted, never which staff account; staff also see the account ID of staff
// actors, never of the reporter (a citizen or guest actor is always the
// reporter, who may be anonymous).
func reportHistory(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		events, _, err := svc.History(c.UserContext(), p, string([]byte(c.Params("id"))))
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		lang := localized(c)
		staffView := p.Can(identity.PermReportsHandle)
		out := list0[eventOut]()
		for _, e := range events {
			item := eventOut{Version: e.Version, Action: string(e.Action), FromStatus: string(e.FromStatus), ToStatus: string(e.ToStatus),
				ActorRole: string(e.ActorRole), Note: e.Note, DuplicateOf: e.DuplicateOf, At: local(e.At)}
			switch {
			case e.ActorID == feedback.SystemActorID:
				item.ActorRole = "system" // not an administrator's doing
			case staffView && e.ActorRole.IsStaff():
				item.ActorID = e.ActorID
			}
			if e.AgencyCode != "" {
				item.Agency = &codeName{e.AgencyCode, n.agencies[e.AgencyCode].In(lang)}
			}
			if e.ToAgency != "" {
				item.ToAgency = &codeName{e.ToAgency, n.agencies[e.ToAgency].In(lang)}
			}
			if e.DueAt != nil {
				d := local(*e.DueAt)
				item.DueAt = &d
			}
			out.Items = append(out.Items, item)
		}
		return c.JSON(out)
	}
}

type ratingIn struct {
	Score   int    `json:"score"`
	Comment string `json:"comment" validate:"max=10000"`
}

type ratingOut struct {
	ReportID  string    `json:"report_id"`
	Score     int       `json:"score"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// rateReport records the reporter's rating of the answer.
func rateReport(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in ratingIn
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, feedback.CheckRating(in.Score, in.Comment))
		}
		r, err := svc.Rate(c.UserContext(), principal(c), string([]byte(c.Params("id"))), in.Score, in.Comment)
		if err != nil {
			return err
		}
		return c.JSON(ratingOut{ReportID: r.ReportID, Score: r.Score, Comment: r.Comment, CreatedAt: local(r.CreatedAt), UpdatedAt: local(r.UpdatedAt)})
	}
}

// agencyQueue is an agency's work list: urgent first, then by the next
// deadline; officers see their own agency's, coordinators everyone's.
func agencyQueue(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		in := queueQuery(q)
		in.Status, in.Cursor, in.Limit = q.Enum("status", statusNames(feedback.AllStatuses)...), q.String("cursor", 1000), q.Int("limit", 20, 1, 100)
		if err := q.Err(); err != nil {
			return err
		}
		list, next, err := svc.Queue(c.UserContext(), principal(c), in)
		if err != nil {
			return err
		}
		items, err := renderReports(c, svc, ref, list, feedback.ViewStaff)
		if err != nil {
			return err
		}
		out := reportPage{Items: items}
		if next != nil {
			cur := next.Encode()
			out.NextCursor = &cur
		}
		return c.JSON(out)
	}
}

// queueCountsOut is how many reports of a queue are in each status.
type queueCountsOut struct {
	Counts map[feedback.Status]int `json:"counts"`
}

// agencyQueueCounts counts the queue's reports per status, with the
// queue's filters but not its status or page: the console's tabs.
func agencyQueueCounts(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		in := queueQuery(q)
		if err := q.Err(); err != nil {
			return err
		}
		counts, err := svc.QueueCounts(c.UserContext(), principal(c), in)
		if err != nil {
			return err
		}
		return c.JSON(queueCountsOut{Counts: counts})
	}
}

// queueQuery reads the filters the queue and its counts share.
func queueQuery(q *queryParams) feedback.QueueInput {
	return feedback.QueueInput{AgencyCode: q.String("agency_code", 200), CategoryCode: q.String("category_code", 200), Q: q.String("q", 200),
		OverdueOnly: q.Bool("overdue"), ExtensionPending: q.Bool("extension_pending")}
}
