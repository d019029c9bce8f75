package main

import (
	"net/http"
	"net/url"
)

// queueCountScenarios measure the counts behind the console's queue tabs
// (GET /v1/agency/reports/counts): the officer's agency, that agency with
// a category, and every agency (admin); then the shapes not answered from
// counters (overdue, a search), for comparison.
func queueCountScenarios(base string, client *http.Client, f filters, officer, admin string) []scenario {
	counts := func(label, token string, q url.Values) scenario {
		return scenario{label, "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/agency/reports/counts", q, token), http.StatusOK)
		}}
	}
	return []scenario{
		counts("queue counts", officer, nil),
		counts("queue counts category", officer, url.Values{"category_code": {f.Category}}),
		counts("queue counts every agency", admin, nil),
		counts("queue counts overdue", officer, url.Values{"overdue": {"true"}}),
		counts("queue counts q", officer, url.Values{"q": {f.Q}}),
	}
}
