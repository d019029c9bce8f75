package feedback

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// ReferenceService is the reference data's use cases: what the public reads,
// and the admin's import and export of whole datasets.
type ReferenceService struct {
	store ReferenceStore

	// cached is the snapshot and when it was loaded (nil: none); one
	// caller at a time reloads an expired one (reloading), the others keep
	// reading it meanwhile instead of queueing behind the reload.
	cached    atomic.Pointer[cachedReference]
	reloading atomic.Bool
	changes   atomic.Int64 // counts forget calls

	// editMu makes this process's changes one at a time, so each is
	// validated against the data the one before it left. It also guards
	// lastAudit, the ID of the last audit entry written here.
	editMu    sync.Mutex
	lastAudit string
}

// snapshotTTL bounds how stale the cached dataset used for intake may be
// after an import made by another process; this process's imports clear it.
const snapshotTTL = 2 * time.Second

// NewReferenceService returns a service over store.
func NewReferenceService(store ReferenceStore) *ReferenceService {
	return &ReferenceService{store: store}
}

// Export returns the whole dataset, every list ordered by code.
func (s *ReferenceService) Export(ctx context.Context) (*Reference, error) {
	ref, err := s.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	ref.Sort()
	return ref, nil
}

// Import validates the whole dataset and, only if it is valid, replaces
// all reference data with it at once. Returns EINVALID listing every
// problem; on any error nothing changes.
// The audit log names the command line as the actor: Import is the
// operator's tool, run with access to the server's files.
func (s *ReferenceService) Import(ctx context.Context, ref *Reference) error {
	return s.importAs(ctx, CLIActorID, ref)
}

func (s *ReferenceService) importAs(ctx context.Context, actor string, ref *Reference) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	ref.Sort()
	s.editMu.Lock()
	defer s.editMu.Unlock()
	old, err := s.store.Load(ctx)
	if err != nil {
		return err
	}
	if err := s.store.Replace(ctx, ref); err != nil {
		return err
	}
	s.forget()
	return s.record(ctx, actor, AuditRoleSystem, AuditKindDataset, "", AuditImport, countsOf(old), countsOf(ref))
}

// Snapshot returns the whole dataset for routing and placing reports,
// cached for a moment so intake does not reload it on every report.
// Callers must not modify it.
func (s *ReferenceService) Snapshot(ctx context.Context) (*Reference, error) {
	c := s.cached.Load()
	if c != nil && time.Since(c.loadedAt) < snapshotTTL {
		return c.ref, nil
	}
	if c != nil && !s.reloading.CompareAndSwap(false, true) {
		// Another caller is reloading: this one's snapshot is at most
		// that reload's time older than the TTL.
		return c.ref, nil
	}
	if c != nil {
		defer s.reloading.Store(false)
	}
	loadedAt, gen := time.Now(), s.changes.Load()
	ref, err := s.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	ref.index()
	// A change made here while loading (forget) wins over this load: the
	// load is not kept, or is dropped again if the change came just after.
	next := &cachedReference{ref: ref, loadedAt: loadedAt}
	if s.changes.Load() == gen && s.cached.CompareAndSwap(c, next) && s.changes.Load() != gen {
		s.cached.CompareAndSwap(next, nil)
	}
	return ref, nil
}

// cachedReference is a loaded snapshot and when its load began.
type cachedReference struct {
	ref      *Reference
	loadedAt time.Time
}

// SeedDefault imports the built-in Cà Mau dataset when the store holds no
// reference data at all, and reports whether it did.
func (s *ReferenceService) SeedDefault(ctx context.Context) (bool, error) {
	cur, err := s.store.Load(ctx)
	if err != nil {
		return false, err
	}
	if !cur.IsEmpty() {
		return false, nil
	}
	def, err := DefaultReference()
	if err != nil {
		return false, apperr.Internal(err)
	}
	return true, s.importAs(ctx, SystemActorID, def)
}

// Categories returns every category in display order (sort_order, then
// code), out-of-scope ones included so the app can point people to the
// right channel.
func (s *ReferenceService) Categories(ctx context.Context) ([]Category, error) {
	list, err := s.store.Categories().List(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].SortOrder < list[j].SortOrder })
	return list, nil
}

// Agencies returns the active agencies, ordered by code.
func (s *ReferenceService) Agencies(ctx context.Context) ([]Agency, error) {
	list, err := s.store.Agencies().List(ctx)
	if err != nil {
		return nil, err
	}
	active := list[:0]
	for _, a := range list {
		if a.Active {
			active = append(active, a)
		}
	}
	return active, nil
}

// AreaQuery selects areas.
type AreaQuery struct {
	Parent string // only the areas directly under this one
	// Name keeps areas whose Vietnamese or English name matches (see
	// NameMatches): "Hoà Thành" finds "Hòa Thành".
	Name string
	// Historical includes the units that no longer exist.
	Historical bool
}

// Areas returns the areas that q selects, ordered by code: by default the
// current ones only. Returns ENOTFOUND for an unknown parent. It reads the
// cached snapshot: the list carries every boundary, megabytes that must not
// be read from the store on each request.
func (s *ReferenceService) Areas(ctx context.Context, q AreaQuery) ([]Area, error) {
	ref, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	found := q.Parent == ""
	out := []Area{}
	for _, a := range ref.Areas {
		found = found || a.Code == q.Parent
		switch {
		case q.Parent != "" && a.ParentCode != q.Parent,
			a.Historical && !q.Historical,
			q.Name != "" && !NameMatches(a.Name.Vi, q.Name) && !NameMatches(a.Name.En, q.Name):
			continue
		}
		out = append(out, a)
	}
	if !found {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy đơn vị hành chính cha", "parent area not found"))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// RoutingRules lists the routing rules, for admins and coordinators.
func (s *ReferenceService) RoutingRules(ctx context.Context, p identity.Principal) ([]RoutingRule, error) {
	if err := p.Require(identity.PermSelf); err != nil {
		return nil, err
	}
	if !p.Can(identity.PermReferenceAdmin) && !p.Can(identity.PermReportsAll) {
		return nil, identity.ErrForbidden()
	}
	return s.store.RoutingRules().List(ctx)
}

// forget drops the cached snapshot after a change made here.
func (s *ReferenceService) forget() {
	s.changes.Add(1)
	s.cached.Store(nil)
}
