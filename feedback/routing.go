package feedback

import (
	"fmt"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Route is where a report goes and why.
type Route struct {
	Agency   Agency
	RuleCode string // the routing rule that matched; empty for a category default or the fallback
	Reason   i18n.Text
}

// Route picks the agency for a report of a category in an area. The most
// specific match wins:
//
//  1. a rule for this category, in the deepest area that holds the report's
//     area (a rule without area counts as the whole province);
//  2. the category's default agency;
//  3. a rule for every category, deepest area first;
//  4. the coordinator (the first active agency of kind coordinator).
//
// Rules and defaults pointing at inactive agencies are passed over. areaCode
// may be empty (area unknown): then only province-wide rules apply. Returns
// EINVALID when the category or area is unknown and ENOTFOUND when there is
// no active coordinator to fall back on.
func (r *Reference) Route(categoryCode, areaCode string) (Route, error) {
	var cat *Category
	for i := range r.Categories {
		if r.Categories[i].Code == categoryCode {
			cat = &r.Categories[i]
		}
	}
	if cat == nil {
		return Route{}, apperr.Invalid(i18n.T("Lĩnh vực không tồn tại", "unknown category"),
			apperr.FieldError{Field: "category_code", Message: i18n.T("Lĩnh vực không tồn tại", "unknown category")})
	}
	areas := r.areasByCode()
	// depth[code] is how far below the report's area's root each ancestor
	// is: the report's own area is the deepest.
	var chain []string
	if areaCode != "" {
		if _, ok := areas[areaCode]; !ok {
			return Route{}, apperr.Invalid(i18n.T("Đơn vị hành chính không tồn tại", "unknown area"),
				apperr.FieldError{Field: "area_code", Message: i18n.T("Đơn vị hành chính không tồn tại", "unknown area")})
		}
		// A unit that no longer exists routes as the unit that took it over.
		if a := areas[areaCode]; a.Historical && a.SuccessorCode != "" {
			if _, ok := areas[a.SuccessorCode]; ok {
				areaCode = a.SuccessorCode
			}
		}
		seen := map[string]bool{}
		for cur := areaCode; cur != "" && !seen[cur]; cur = areas[cur].ParentCode {
			seen[cur] = true
			chain = append(chain, cur)
		}
	}
	depth := make(map[string]int, len(chain))
	for i, code := range chain {
		depth[code] = len(chain) - i
	}
	agencies := r.agenciesByCode()

	best := func(categorySpecific bool) (RoutingRule, Agency, bool) {
		var (
			win      RoutingRule
			winAg    Agency
			winDepth = -1
		)
		for _, rule := range r.RoutingRules {
			if (rule.CategoryCode != "") != categorySpecific || (categorySpecific && rule.CategoryCode != categoryCode) {
				continue
			}
			d := 0
			if rule.AreaCode != "" {
				var ok bool
				if d, ok = depth[rule.AreaCode]; !ok {
					continue
				}
			}
			ag, ok := agencies[rule.AgencyCode]
			if !ok || !ag.Active {
				continue
			}
			if d > winDepth || (d == winDepth && rule.Code < win.Code) {
				win, winAg, winDepth = rule, ag, d
			}
		}
		return win, winAg, winDepth >= 0
	}

	if rule, ag, ok := best(true); ok {
		return Route{Agency: ag, RuleCode: rule.Code, Reason: r.ruleReason(rule, cat, areas, ag)}, nil
	}
	if ag, ok := agencies[cat.DefaultAgencyCode]; ok && ag.Active {
		return Route{Agency: ag, Reason: i18n.T(
			fmt.Sprintf("mặc định của lĩnh vực %s → %s", cat.Name.Vi, ag.Name.Vi),
			fmt.Sprintf("default for %s → %s", cat.Name.In(i18n.EN), ag.Name.In(i18n.EN)))}, nil
	}
	if rule, ag, ok := best(false); ok {
		return Route{Agency: ag, RuleCode: rule.Code, Reason: r.ruleReason(rule, cat, areas, ag)}, nil
	}
	for _, ag := range r.Agencies {
		if ag.Kind == AgencyCoordinator && ag.Active {
			return Route{Agency: ag, Reason: i18n.T(
				fmt.Sprintf("không có quy tắc phù hợp → đơn vị điều phối %s", ag.Name.Vi),
				fmt.Sprintf("no matching rule → coordinator %s", ag.Name.In(i18n.EN)))}, nil
		}
	}
	return Route{}, apperr.NotFound(i18n.T("Chưa cấu hình đơn vị điều phối", "no active coordinator is configured"))
}

func (r *Reference) ruleReason(rule RoutingRule, cat *Category, areas map[string]Area, ag Agency) i18n.Text {
	catVi, catEn := "mọi lĩnh vực", "any category"
	if rule.CategoryCode != "" {
		catVi, catEn = cat.Name.Vi, cat.Name.In(i18n.EN)
	}
	areaVi, areaEn := "toàn tỉnh", "the whole province"
	if a, ok := areas[rule.AreaCode]; ok {
		areaVi, areaEn = a.Name.Vi, a.Name.In(i18n.EN)
	}
	return i18n.T(
		fmt.Sprintf("quy tắc %s: %s tại %s → %s", rule.Code, catVi, areaVi, ag.Name.Vi),
		fmt.Sprintf("rule %s: %s in %s → %s", rule.Code, catEn, areaEn, ag.Name.In(i18n.EN)))
}
