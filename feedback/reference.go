// Package feedback is the field-report domain: reference data (categories,
// agencies, areas, routing rules, the working calendar), routing, and later
// the reports themselves. It knows neither HTTP nor any database.
package feedback

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// AgencyKind says what kind of body an agency is.
type AgencyKind string

// The agency kinds.
const (
	AgencyDepartment  AgencyKind = "department"  // provincial department (sở, ban, ngành)
	AgencyCommune     AgencyKind = "commune"     // commune or ward people's committee
	AgencyUtility     AgencyKind = "utility"     // public utility company
	AgencyCoordinator AgencyKind = "coordinator" // receives, triages and re-routes reports
)

// AreaLevel is the level of an administrative unit. Since 2025 there is no
// district level: the province holds communes, wards and special zones.
type AreaLevel string

// The area levels.
const (
	LevelProvince    AreaLevel = "province"
	LevelWard        AreaLevel = "ward"
	LevelCommune     AreaLevel = "commune"
	LevelSpecialZone AreaLevel = "special_zone"
)

// SLA holds handling time limits. Hours on a working day count working hours
// of the calendar; hours on a day off count clock hours. A zero field means
// "not set here": the calendar's default applies.
type SLA struct {
	DispatchHours         float64 `json:"dispatch_hours,omitempty"`
	DispatchHoursDayOff   float64 `json:"dispatch_hours_day_off,omitempty"`
	ResponseHours         float64 `json:"response_hours,omitempty"`
	ResponseHoursDayOff   float64 `json:"response_hours_day_off,omitempty"`
	ResolutionWorkingDays int     `json:"resolution_working_days,omitempty"`
}

// Category is a field of reports (lĩnh vực).
type Category struct {
	Code              string    `json:"code"`
	Name              i18n.Text `json:"name"`
	Description       i18n.Text `json:"description,omitzero"`
	DefaultAgencyCode string    `json:"default_agency_code,omitempty"`
	UrgentCapable     bool      `json:"urgent_capable"`
	OutOfScope        bool      `json:"out_of_scope"`
	OutOfScopeMessage i18n.Text `json:"out_of_scope_message,omitzero"`
	SLA               *SLA      `json:"sla,omitempty"`
	UrgentSLA         *SLA      `json:"urgent_sla,omitempty"`
	SortOrder         int       `json:"sort_order"`
	// AutoDispatch sends the category's reports straight to their routed
	// agency on arrival, without waiting for the coordinator.
	AutoDispatch bool `json:"auto_dispatch,omitempty"`
}

// Contact is how the public reaches an agency.
type Contact struct {
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
}

// Agency is a body that handles reports (cơ quan, đơn vị xử lý).
type Agency struct {
	Code     string     `json:"code"`
	Name     i18n.Text  `json:"name"`
	Kind     AgencyKind `json:"kind"`
	AreaCode string     `json:"area_code,omitempty"`
	Contact  Contact    `json:"contact,omitzero"`
	Active   bool       `json:"active"`
}

// Area is an administrative unit (đơn vị hành chính). Boundary, when set, is a
// GeoJSON Polygon or MultiPolygon geometry in WGS 84 longitude/latitude.
type Area struct {
	Code       string          `json:"code"`
	Name       i18n.Text       `json:"name"`
	Level      AreaLevel       `json:"level"`
	ParentCode string          `json:"parent_code,omitempty"`
	Boundary   json.RawMessage `json:"boundary,omitempty"`
	// OfficialCode is the unit's code in the national list of administrative
	// units (5 digits for a commune or ward, 2 for a province), e.g. "32002".
	OfficialCode string `json:"official_code,omitempty"`
	// Historical marks a unit that no longer exists (merged or renamed, as
	// in the 2025 reform). Reports filed in it keep it and keep routing, but
	// it is not listed for, and cannot be chosen by, new reports, and its
	// boundary is not used to place them.
	Historical bool `json:"historical,omitempty"`
	// SuccessorCode, for a historical unit, is the unit that took it over;
	// its reports are routed as if they were there.
	SuccessorCode string `json:"successor_code,omitempty"`
}

var officialCodePattern = regexp.MustCompile(`^[0-9]{2,5}$`)

// RoutingRule sends reports of a category in an area to an agency. An empty
// CategoryCode matches every category; an empty AreaCode the whole province.
// A rule for an area also covers the areas below it.
type RoutingRule struct {
	Code         string `json:"code"`
	CategoryCode string `json:"category_code,omitempty"`
	AreaCode     string `json:"area_code,omitempty"`
	AgencyCode   string `json:"agency_code"`
}

// Entity is what a reference EntityStore holds: a value with a stable code
// that can check itself. RefKind names the kind for storage.
type Entity interface {
	Category | Agency | Area | RoutingRule
	RefKey() string
	RefKind() string
	Validate() error
}

// RefKey returns the category's code.
func (c Category) RefKey() string { return c.Code }

// RefKind returns "category".
func (Category) RefKind() string { return "category" }

// RefKey returns the agency's code.
func (a Agency) RefKey() string { return a.Code }

// RefKind returns "agency".
func (Agency) RefKind() string { return "agency" }

// RefKey returns the area's code.
func (a Area) RefKey() string { return a.Code }

// RefKind returns "area".
func (Area) RefKind() string { return "area" }

// RefKey returns the rule's code.
func (r RoutingRule) RefKey() string { return r.Code }

// RefKind returns "routing_rule".
func (RoutingRule) RefKind() string { return "routing_rule" }

// EntityStore keeps one kind of reference entity, keyed by code.
type EntityStore[T Entity] interface {
	// Create stores a new entity. Returns EINVALID if it fails its own
	// Validate and ECONFLICT if its code is taken.
	Create(ctx context.Context, v T) error
	// Get returns ENOTFOUND if no entity has the code.
	Get(ctx context.Context, code string) (T, error)
	// List returns every entity, ordered by code.
	List(ctx context.Context) ([]T, error)
	// Update replaces the entity with v's code. Returns EINVALID if v fails
	// its own Validate and ENOTFOUND if the code does not exist.
	Update(ctx context.Context, v T) error
	// Delete returns ENOTFOUND if the code does not exist.
	Delete(ctx context.Context, code string) error
}

// ReferenceStore keeps the reference data. Entity stores check each entity
// on its own; rules that span entities (a parent must exist, a rule's agency
// must exist) are the ReferenceService's job.
type ReferenceStore interface {
	Categories() EntityStore[Category]
	Agencies() EntityStore[Agency]
	Areas() EntityStore[Area]
	RoutingRules() EntityStore[RoutingRule]
	// Calendar returns ENOTFOUND if no calendar was ever stored.
	Calendar(ctx context.Context) (Calendar, error)
	// SetCalendar returns EINVALID if c fails its own Validate.
	SetCalendar(ctx context.Context, c Calendar) error
	// Load returns a consistent snapshot of all reference data. A store that
	// holds none returns an empty Reference with a zero Calendar.
	Load(ctx context.Context) (*Reference, error)
	// Replace swaps all reference data for ref at once: readers see either
	// the old data or the new, never a mix, and a failure changes nothing.
	// It does not validate cross-references; callers do.
	Replace(ctx context.Context, ref *Reference) error
	// Audit returns the log of changes to the reference data.
	Audit() AuditStore
}

// Reference is the whole reference dataset. It is also the import/export
// file format.
type Reference struct {
	Categories   []Category    `json:"categories"`
	Agencies     []Agency      `json:"agencies"`
	Areas        []Area        `json:"areas"`
	RoutingRules []RoutingRule `json:"routing_rules"`
	Calendar     Calendar      `json:"calendar"`

	// locator indexes Areas' boundaries; set by ReferenceService.Snapshot
	// so intake does not rebuild it for every report.
	locator *Locator
	// areaIndex and agencyIndex are Areas and Agencies by code, set by
	// Snapshot likewise (each was two maps built per report).
	areaIndex   map[string]Area
	agencyIndex map[string]Agency
}

// index sets the indexes a snapshot keeps (see Snapshot).
func (r *Reference) index() {
	r.locator = NewLocator(r.Areas)
	r.areaIndex = byCode(r.Areas, func(a Area) string { return a.Code })
	r.agencyIndex = byCode(r.Agencies, func(a Agency) string { return a.Code })
}

// areasByCode returns Areas by code (the last of a code wins). Callers
// must not modify it.
func (r *Reference) areasByCode() map[string]Area {
	if r.areaIndex != nil {
		return r.areaIndex
	}
	return byCode(r.Areas, func(a Area) string { return a.Code })
}

// agenciesByCode returns Agencies by code (the last of a code wins).
// Callers must not modify it.
func (r *Reference) agenciesByCode() map[string]Agency {
	if r.agencyIndex != nil {
		return r.agencyIndex
	}
	return byCode(r.Agencies, func(a Agency) string { return a.Code })
}

func byCode[T any](items []T, code func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[code(it)] = it
	}
	return m
}

// Locator returns the index of the areas' boundaries, built now unless the
// dataset came from ReferenceService.Snapshot.
func (r *Reference) Locator() *Locator {
	if r.locator != nil {
		return r.locator
	}
	return NewLocator(r.Areas)
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func msgRequired() i18n.Text { return i18n.T("Bắt buộc nhập", "is required") }

func checkCode(prefix, code string) []apperr.FieldError {
	if code == "" {
		return []apperr.FieldError{{Field: prefix + "code", Message: msgRequired()}}
	}
	if !codePattern.MatchString(code) {
		return []apperr.FieldError{{Field: prefix + "code", Message: i18n.T(
			"Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, tối đa 64 ký tự",
			"must be lowercase ASCII letters, digits and hyphens, at most 64 characters")}}
	}
	return nil
}

func checkName(prefix string, name i18n.Text) []apperr.FieldError {
	if strings.TrimSpace(name.Vi) == "" {
		return []apperr.FieldError{{Field: prefix + "name.vi", Message: i18n.T("Thiếu tên tiếng Việt", "the Vietnamese name is required")}}
	}
	if name.Hostile() {
		return []apperr.FieldError{{Field: prefix + "name", Message: i18n.T("Tên chứa ký tự điều khiển", "must not contain control or bidi override characters")}}
	}
	return nil
}

func invalidEntity(kind string, code string, fields []apperr.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return apperr.Invalid(i18n.T(
		fmt.Sprintf("Dữ liệu %s %q không hợp lệ", kindVi[kind], code),
		fmt.Sprintf("invalid %s %q", strings.ReplaceAll(kind, "_", " "), code)), fields...)
}

var kindVi = map[string]string{
	"category":     "lĩnh vực",
	"agency":       "cơ quan",
	"area":         "đơn vị hành chính",
	"routing_rule": "quy tắc chuyển xử lý",
	"calendar":     "lịch làm việc",
}

func (s *SLA) check(prefix string) []apperr.FieldError {
	if s == nil {
		return nil
	}
	var fs []apperr.FieldError
	neg := i18n.T("Không được âm", "must not be negative")
	for name, v := range map[string]float64{
		"dispatch_hours": s.DispatchHours, "dispatch_hours_day_off": s.DispatchHoursDayOff,
		"response_hours": s.ResponseHours, "response_hours_day_off": s.ResponseHoursDayOff,
		"resolution_working_days": float64(s.ResolutionWorkingDays),
	} {
		if v < 0 {
			fs = append(fs, apperr.FieldError{Field: prefix + name, Message: neg})
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Field < fs[j].Field })
	return fs
}

// Validate checks the category on its own.
func (c Category) Validate() error { return invalidEntity("category", c.Code, c.check("")) }

func (c Category) check(p string) []apperr.FieldError {
	fs := append(checkCode(p, c.Code), checkName(p, c.Name)...)
	if c.OutOfScope && strings.TrimSpace(c.OutOfScopeMessage.Vi) == "" {
		fs = append(fs, apperr.FieldError{Field: p + "out_of_scope_message.vi", Message: i18n.T(
			"Lĩnh vực ngoài phạm vi phải có thông báo chỉ kênh tiếp nhận đúng",
			"an out-of-scope category needs a message pointing to the right channel")})
	}
	if c.DefaultAgencyCode != "" && !codePattern.MatchString(c.DefaultAgencyCode) {
		fs = append(fs, apperr.FieldError{Field: p + "default_agency_code", Message: i18n.T("Mã cơ quan không hợp lệ", "is not a valid agency code")})
	}
	fs = append(fs, c.SLA.check(p+"sla.")...)
	return append(fs, c.UrgentSLA.check(p+"urgent_sla.")...)
}

// Validate checks the agency on its own.
func (a Agency) Validate() error { return invalidEntity("agency", a.Code, a.check("")) }

func (a Agency) check(p string) []apperr.FieldError {
	fs := append(checkCode(p, a.Code), checkName(p, a.Name)...)
	switch a.Kind {
	case AgencyDepartment, AgencyCommune, AgencyUtility, AgencyCoordinator:
	case "":
		fs = append(fs, apperr.FieldError{Field: p + "kind", Message: msgRequired()})
	default:
		fs = append(fs, apperr.FieldError{Field: p + "kind", Message: i18n.T(
			"Phải là department, commune, utility hoặc coordinator",
			"must be department, commune, utility or coordinator")})
	}
	return fs
}

// Validate checks the area on its own, including the shape of its boundary.
func (a Area) Validate() error { return invalidEntity("area", a.Code, a.check("")) }

func (a Area) check(p string) []apperr.FieldError {
	fs := append(checkCode(p, a.Code), checkName(p, a.Name)...)
	switch a.Level {
	case LevelProvince, LevelWard, LevelCommune, LevelSpecialZone:
	case "":
		fs = append(fs, apperr.FieldError{Field: p + "level", Message: msgRequired()})
	default:
		fs = append(fs, apperr.FieldError{Field: p + "level", Message: i18n.T(
			"Phải là province, ward, commune hoặc special_zone",
			"must be province, ward, commune or special_zone")})
	}
	if a.ParentCode != "" && a.ParentCode == a.Code {
		fs = append(fs, apperr.FieldError{Field: p + "parent_code", Message: i18n.T("Không thể là cha của chính nó", "cannot be its own parent")})
	}
	if a.OfficialCode != "" && !officialCodePattern.MatchString(a.OfficialCode) {
		fs = append(fs, apperr.FieldError{Field: p + "official_code", Message: i18n.T(
			"Mã đơn vị hành chính quốc gia gồm 2 đến 5 chữ số", "must be the national code: 2 to 5 digits")})
	}
	if a.SuccessorCode != "" && !a.Historical {
		fs = append(fs, apperr.FieldError{Field: p + "successor_code", Message: i18n.T(
			"Chỉ đơn vị đã giải thể mới có đơn vị kế thừa", "only a historical area has a successor")})
	}
	if len(a.Boundary) > 0 && string(a.Boundary) != "null" {
		if _, err := parseBoundaryCached(a.Boundary); err != nil {
			fs = append(fs, apperr.FieldError{Field: p + "boundary", Message: i18n.T(
				"Ranh giới phải là GeoJSON Polygon hoặc MultiPolygon hợp lệ", "must be a valid GeoJSON Polygon or MultiPolygon")})
		}
	}
	return fs
}

// Validate checks the rule on its own.
func (r RoutingRule) Validate() error { return invalidEntity("routing_rule", r.Code, r.check("")) }

func (r RoutingRule) check(p string) []apperr.FieldError {
	fs := checkCode(p, r.Code)
	if r.AgencyCode == "" {
		fs = append(fs, apperr.FieldError{Field: p + "agency_code", Message: msgRequired()})
	}
	return fs
}

// Validate checks the whole dataset: every entity, unique codes, and every
// cross-reference (parents, agencies, categories, areas), areas forming a
// tree without cycles, and exactly the rules routing needs (at least one
// active coordinator). The error lists every problem, each named by its
// position and code, e.g. `areas[3] (phuong-9).parent_code`.
func (r *Reference) Validate() error {
	var fs []apperr.FieldError
	add := func(field string, msg i18n.Text) { fs = append(fs, apperr.FieldError{Field: field, Message: msg}) }
	label := func(list string, i int, code string) string { return fmt.Sprintf("%s[%d] (%s).", list, i, code) }
	dup := i18n.T("Mã bị trùng", "duplicate code")

	cats := map[string]bool{}
	for i, c := range r.Categories {
		p := label("categories", i, c.Code)
		fs = append(fs, c.check(p)...)
		if cats[c.Code] {
			add(p+"code", dup)
		}
		cats[c.Code] = true
	}
	agencies := map[string]Agency{}
	coordinators := 0
	for i, a := range r.Agencies {
		p := label("agencies", i, a.Code)
		fs = append(fs, a.check(p)...)
		if _, ok := agencies[a.Code]; ok {
			add(p+"code", dup)
		}
		agencies[a.Code] = a
		if a.Kind == AgencyCoordinator && a.Active {
			coordinators++
		}
	}
	areas := map[string]Area{}
	official := map[string]string{}
	for i, a := range r.Areas {
		p := label("areas", i, a.Code)
		fs = append(fs, a.check(p)...)
		if _, ok := areas[a.Code]; ok {
			add(p+"code", dup)
		}
		areas[a.Code] = a
		if a.OfficialCode != "" {
			if other, ok := official[a.OfficialCode]; ok {
				add(p+"official_code", i18n.T(fmt.Sprintf("Trùng mã quốc gia với %q", other), fmt.Sprintf("same national code as %q", other)))
			}
			official[a.OfficialCode] = a.Code
		}
	}
	// Two current units under one parent whose names compare equal (tone
	// marks placed either way, any Unicode form) would be the same place.
	names := map[[2]string]string{}
	for i, a := range r.Areas {
		if a.Historical {
			continue
		}
		key := [2]string{a.ParentCode, NameKey(a.Name.Vi)}
		if other, ok := names[key]; ok {
			add(label("areas", i, a.Code)+"name.vi", i18n.T(fmt.Sprintf("Trùng tên với %q", other), fmt.Sprintf("same name as %q", other)))
		}
		names[key] = a.Code
	}
	for i, a := range r.Areas {
		if a.SuccessorCode == "" {
			continue
		}
		if s, ok := areas[a.SuccessorCode]; !ok || s.Historical || s.Code == a.Code {
			add(label("areas", i, a.Code)+"successor_code", i18n.T(
				"Đơn vị kế thừa phải là một đơn vị hiện hành trong tệp", "must be a current area in the file"))
		}
	}
	unknownAgency := i18n.T("Cơ quan không tồn tại trong tệp", "no agency with this code in the file")
	for i, a := range r.Agencies {
		if a.AreaCode != "" {
			if _, ok := areas[a.AreaCode]; !ok {
				add(label("agencies", i, a.Code)+"area_code", i18n.T("Đơn vị hành chính không tồn tại trong tệp", "no area with this code in the file"))
			}
		}
	}
	for i, c := range r.Categories {
		if c.DefaultAgencyCode != "" {
			if _, ok := agencies[c.DefaultAgencyCode]; !ok {
				add(label("categories", i, c.Code)+"default_agency_code", unknownAgency)
			}
		}
	}
	for i, a := range r.Areas {
		p := label("areas", i, a.Code)
		if a.ParentCode == "" || a.ParentCode == a.Code {
			continue
		}
		if _, ok := areas[a.ParentCode]; !ok {
			add(p+"parent_code", i18n.T("Đơn vị cha không tồn tại trong tệp", "no area with this code in the file"))
			continue
		}
		// Walk up; meeting the start again means a cycle.
		seen := map[string]bool{a.Code: true}
		for cur := a.ParentCode; cur != ""; cur = areas[cur].ParentCode {
			if seen[cur] {
				add(p+"parent_code", i18n.T("Cây đơn vị hành chính có vòng lặp", "the area tree has a cycle through this area"))
				break
			}
			seen[cur] = true
		}
	}
	rules := map[string]bool{}
	scopes := map[[2]string]string{}
	for i, rr := range r.RoutingRules {
		p := label("routing_rules", i, rr.Code)
		fs = append(fs, rr.check(p)...)
		if rules[rr.Code] {
			add(p+"code", dup)
		}
		rules[rr.Code] = true
		if rr.CategoryCode != "" && !cats[rr.CategoryCode] {
			add(p+"category_code", i18n.T("Lĩnh vực không tồn tại trong tệp", "no category with this code in the file"))
		}
		if rr.AreaCode != "" {
			if _, ok := areas[rr.AreaCode]; !ok {
				add(p+"area_code", i18n.T("Đơn vị hành chính không tồn tại trong tệp", "no area with this code in the file"))
			}
		}
		if ag, ok := agencies[rr.AgencyCode]; rr.AgencyCode != "" && !ok {
			add(p+"agency_code", unknownAgency)
		} else if ok && !ag.Active {
			add(p+"agency_code", i18n.T("Cơ quan đã ngừng hoạt động", "the agency is not active"))
		}
		scope := [2]string{rr.CategoryCode, rr.AreaCode}
		if other, ok := scopes[scope]; ok {
			add(p+"area_code", i18n.T(
				fmt.Sprintf("Trùng phạm vi với quy tắc %q", other),
				fmt.Sprintf("same category and area as rule %q", other)))
		}
		scopes[scope] = rr.Code
	}
	// Without these the service cannot take a single report.
	if coordinators == 0 {
		add("agencies", i18n.T("Cần ít nhất một cơ quan điều phối (coordinator) đang hoạt động",
			"at least one active agency of kind coordinator is required"))
	}
	if len(r.Categories) == 0 {
		add("categories", i18n.T("Cần ít nhất một lĩnh vực", "at least one category is required"))
	}
	if len(r.Areas) == 0 {
		add("areas", i18n.T("Cần ít nhất một đơn vị hành chính", "at least one area is required"))
	}
	fs = append(fs, r.Calendar.check("calendar.")...)
	if len(fs) == 0 {
		return nil
	}
	return apperr.Invalid(i18n.T(
		fmt.Sprintf("Dữ liệu danh mục có %d lỗi", len(fs)),
		fmt.Sprintf("the reference data has %d problem(s)", len(fs))), fs...)
}

// Counts summarises the dataset, for logs and the CLI.
func (r *Reference) Counts() string {
	return fmt.Sprintf("%d categories, %d agencies, %d areas, %d routing rules, %d calendar years",
		len(r.Categories), len(r.Agencies), len(r.Areas), len(r.RoutingRules), len(r.Calendar.Years))
}

// IsEmpty reports whether the dataset holds nothing at all.
func (r *Reference) IsEmpty() bool {
	return len(r.Categories) == 0 && len(r.Agencies) == 0 && len(r.Areas) == 0 &&
		len(r.RoutingRules) == 0 && r.Calendar.IsZero()
}

// Sort orders every list by code, the order stores return them in.
func (r *Reference) Sort() {
	sort.Slice(r.Categories, func(i, j int) bool { return r.Categories[i].Code < r.Categories[j].Code })
	sort.Slice(r.Agencies, func(i, j int) bool { return r.Agencies[i].Code < r.Agencies[j].Code })
	sort.Slice(r.Areas, func(i, j int) bool { return r.Areas[i].Code < r.Areas[j].Code })
	sort.Slice(r.RoutingRules, func(i, j int) bool { return r.RoutingRules[i].Code < r.RoutingRules[j].Code })
}

// ErrEntityNotFound is the error every store returns for a missing
// reference entity, so both stores say the same thing.
func ErrEntityNotFound(kind, code string) error {
	return apperr.NotFound(i18n.T(
		fmt.Sprintf("Không tìm thấy %s %q", kindVi[kind], code),
		fmt.Sprintf("%s %q not found", strings.ReplaceAll(kind, "_", " "), code)))
}

// ErrEntityExists is the error every store returns when a reference
// entity's code is already taken.
func ErrEntityExists(kind, code string) error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T(
		fmt.Sprintf("Mã %s %q đã tồn tại", kindVi[kind], code),
		fmt.Sprintf("%s %q already exists", strings.ReplaceAll(kind, "_", " "), code)))
}

// ErrNoCalendar is returned when no working calendar is stored.
func ErrNoCalendar() error {
	return apperr.NotFound(i18n.T("Chưa có lịch làm việc", "no working calendar is stored"))
}
