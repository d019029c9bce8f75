package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

// SaveCategory creates (create=true) or replaces a category, after checking
// the whole dataset with the change applied (its default agency must
// exist). Returns ECONFLICT on create of a taken code, ENOTFOUND on update
// of a missing one, EINVALID listing every problem.
func (s *ReferenceService) SaveCategory(ctx context.Context, p identity.Principal, c Category, create bool) error {
	return saveEntity(ctx, s, p, c, create, func(r *Reference) *[]Category { return &r.Categories }, s.store.Categories())
}

// SaveAgency creates or replaces an agency; Active=false deactivates it,
// which the check refuses while a routing rule still sends reports there.
// Errors as SaveCategory.
func (s *ReferenceService) SaveAgency(ctx context.Context, p identity.Principal, a Agency, create bool) error {
	return saveEntity(ctx, s, p, a, create, func(r *Reference) *[]Agency { return &r.Agencies }, s.store.Agencies())
}

// SaveArea creates or replaces an area; its parent must exist and the
// areas must stay a tree. Errors as SaveCategory.
func (s *ReferenceService) SaveArea(ctx context.Context, p identity.Principal, a Area, create bool) error {
	return saveEntity(ctx, s, p, a, create, func(r *Reference) *[]Area { return &r.Areas }, s.store.Areas())
}

// SaveRoutingRule creates (create=true) or replaces a routing rule, after
// checking the whole dataset with the change applied: the category, area
// and agency must exist and no other rule may cover the same scope.
func (s *ReferenceService) SaveRoutingRule(ctx context.Context, p identity.Principal, rule RoutingRule, create bool) error {
	return saveEntity(ctx, s, p, rule, create, func(r *Reference) *[]RoutingRule { return &r.RoutingRules }, s.store.RoutingRules())
}

// DeleteRoutingRule removes a rule; reports then follow the next most
// specific rule. Returns ENOTFOUND if there is no such rule.
func (s *ReferenceService) DeleteRoutingRule(ctx context.Context, p identity.Principal, code string) error {
	return s.change(ctx, p, edit{kind: RoutingRule{}.RefKind(), code: code, action: AuditDelete, list: "routing_rules",
		apply: func(ref *Reference) (any, error) {
			for i, r := range ref.RoutingRules {
				if r.Code == code {
					ref.RoutingRules = append(ref.RoutingRules[:i], ref.RoutingRules[i+1:]...)
					return r, nil
				}
			}
			return nil, ErrEntityNotFound(RoutingRule{}.RefKind(), code)
		},
		write: func(ctx context.Context) error { return s.store.RoutingRules().Delete(ctx, code) }})
}

// Calendar returns the working calendar. Returns ENOTFOUND if none is stored.
func (s *ReferenceService) Calendar(ctx context.Context) (Calendar, error) {
	return s.store.Calendar(ctx)
}

// SetCalendar replaces the working calendar, after checking the whole
// dataset with it. Returns EINVALID listing every problem.
func (s *ReferenceService) SetCalendar(ctx context.Context, p identity.Principal, c Calendar) error {
	return s.change(ctx, p, edit{kind: AuditKindCalendar, action: AuditUpdate, list: "calendar", after: c,
		apply: func(ref *Reference) (any, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			before := ref.Calendar
			ref.Calendar = c
			if before.IsZero() {
				return nil, nil
			}
			return before, nil
		},
		write: func(ctx context.Context) error { return s.store.SetCalendar(ctx, c) }})
}

// AllAgencies returns every agency, active or not, ordered by code: the
// admin's list, where Agencies is the public one.
func (s *ReferenceService) AllAgencies(ctx context.Context) ([]Agency, error) {
	return s.store.Agencies().List(ctx)
}

// AuditLog lists changes to the reference data, newest first, limit at a
// time (50 when 0, at most 200), starting after cursor; the next cursor is
// empty on the last page. Reference admins only.
func (s *ReferenceService) AuditLog(ctx context.Context, p identity.Principal, cursor string, limit int) ([]AuditEntry, string, error) {
	if err := p.Require(identity.PermReferenceAdmin); err != nil {
		return nil, "", err
	}
	switch {
	case limit <= 0:
		limit = 50
	case limit > 200:
		limit = 200
	}
	if cursor != "" && !ids.Valid(cursor) {
		return nil, "", apperr.Invalid(i18n.T("Con trỏ không hợp lệ", "invalid cursor"),
			apperr.FieldError{Field: "cursor", Message: i18n.T("Không hợp lệ", "is not valid")})
	}
	list, err := s.store.Audit().ListAudit(ctx, cursor, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// edit is one admin change to the reference data: apply makes it on a
// freshly loaded dataset and returns what it replaced (nil for nothing),
// write makes it in the store.
type edit struct {
	kind, code, action string
	// list names the entity's place in the dataset ("areas"), so problems
	// with the entity itself are reported by plain field name.
	list  string
	apply func(ref *Reference) (before any, err error)
	write func(ctx context.Context) error
	after any
}

// change checks the caller may edit reference data, applies e to the whole
// dataset, validates it, and only then writes the one entity and records
// the change in the audit log. The write comes first: an audit failure
// after it is reported, but the change stays.
func (s *ReferenceService) change(ctx context.Context, p identity.Principal, e edit) error {
	if err := p.Require(identity.PermReferenceAdmin); err != nil {
		return err
	}
	s.editMu.Lock()
	defer s.editMu.Unlock()
	ref, err := s.store.Load(ctx)
	if err != nil {
		return err
	}
	// An invalid entity is still checked against the whole dataset, so
	// one answer lists every problem (its own fields and, say, an unknown
	// agency it names).
	before, err := e.apply(ref)
	if err != nil && apperr.CodeOf(err) != apperr.EINVALID {
		return err
	}
	if verr := ref.Validate(); verr != nil {
		verr = relabel(verr, e.list, e.code)
		if err == nil {
			return verr
		}
		err = withFields(err, verr)
	}
	if err != nil {
		return err
	}
	err = e.write(ctx)
	s.forget()
	if err != nil {
		return err
	}
	return s.record(ctx, p.UserID, p.Role, e.kind, e.code, e.action, before, e.after)
}

// saveEntity creates or replaces v, both in the dataset list returns and
// in store.
func saveEntity[T Entity](ctx context.Context, s *ReferenceService, p identity.Principal, v T, create bool,
	list func(*Reference) *[]T, store EntityStore[T]) error {
	kind, code := v.RefKind(), v.RefKey()
	action := AuditUpdate
	if create {
		action = AuditCreate
	}
	return s.change(ctx, p, edit{kind: kind, code: code, action: action, list: listNames[kind], after: v,
		apply: func(ref *Reference) (any, error) {
			invalid := v.Validate() // returned with the dataset's findings
			items := list(ref)
			for i, old := range *items {
				if old.RefKey() != code {
					continue
				}
				if create {
					return nil, ErrEntityExists(kind, code)
				}
				(*items)[i] = v
				return old, invalid
			}
			if !create {
				return nil, ErrEntityNotFound(kind, code)
			}
			*items = append(*items, v)
			return nil, invalid
		},
		write: func(ctx context.Context) error {
			if create {
				return store.Create(ctx, v)
			}
			return store.Update(ctx, v)
		}})
}

// listNames maps an entity kind to its list in the reference file.
var listNames = map[string]string{
	"category": "categories", "agency": "agencies", "area": "areas", "routing_rule": "routing_rules",
}

// relabel renames the fields of a dataset validation error that belong to
// the edited entity, "areas[3] (phuong-9).parent_code", to the entity's own
// field name, "parent_code"; fields of other entities keep their label.
func relabel(err error, list, code string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 || list == "" {
		return err
	}
	out := *ae
	out.Fields = make([]apperr.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		switch {
		case code == "" && strings.HasPrefix(f.Field, list+"."):
			f.Field = strings.TrimPrefix(f.Field, list+".")
		case code != "" && strings.HasPrefix(f.Field, list+"["):
			mark := "] (" + code + ")."
			if j := strings.Index(f.Field, mark); j > 0 && !strings.Contains(f.Field[:j], "]") {
				f.Field = f.Field[j+len(mark):]
			}
		}
		out.Fields[i] = f
	}
	return &out
}

// withFields adds the fields of other, an EINVALID error, to err's, but
// those err already names.
func withFields(err, other error) error {
	var ae, oe *apperr.Error
	if !errors.As(err, &ae) || !errors.As(other, &oe) {
		return err
	}
	out := *ae
	out.Fields = append([]apperr.FieldError{}, ae.Fields...)
	named := map[string]bool{}
	for _, f := range out.Fields {
		named[f.Field] = true
	}
	for _, f := range oe.Fields {
		if !named[f.Field] {
			out.Fields = append(out.Fields, f)
			named[f.Field] = true
		}
	}
	return &out
}

// record appends one entry to the audit log. Callers hold editMu.
func (s *ReferenceService) record(ctx context.Context, actorID string, role identity.Role, kind, code, action string, before, after any) error {
	e := AuditEntry{At: time.Now(), ActorID: actorID, ActorRole: role, Kind: kind, Code: code, Action: action}
	var err error
	if e.Before, err = rawJSON(before); err != nil {
		return apperr.Internal(err)
	}
	if e.After, err = rawJSON(after); err != nil {
		return apperr.Internal(err)
	}
	e.ID = ids.After(s.lastAudit)
	if err := s.store.Audit().AppendAudit(ctx, e); err != nil {
		return err
	}
	s.lastAudit = e.ID
	return nil
}

func rawJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// datasetCounts is what the audit log keeps of a whole dataset.
type datasetCounts struct {
	Categories    int `json:"categories"`
	Agencies      int `json:"agencies"`
	Areas         int `json:"areas"`
	RoutingRules  int `json:"routing_rules"`
	CalendarYears int `json:"calendar_years"`
}

func countsOf(r *Reference) any {
	if r.IsEmpty() {
		return nil
	}
	return datasetCounts{len(r.Categories), len(r.Agencies), len(r.Areas), len(r.RoutingRules), len(r.Calendar.Years)}
}
