package api_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"camaug/internal/identity"
)

// testOpen311Key is the api_key newEnv configures.
const testOpen311Key = "open311-test-key-0123456789"

// node is an XML element: its name, text and children in order.
type node struct {
	Name     string
	Text     string
	Children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func parseXML(t *testing.T, body []byte) *node {
	t.Helper()
	if !strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("XML without the UTF-8 declaration: %.80s", body)
	}
	d := xml.NewDecoder(strings.NewReader(string(body)))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("bad XML %s: %v", body, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{Name: x.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(x)
			}
		}
	}
	if root == nil {
		t.Fatalf("no XML root in %s", body)
	}
	return root
}

// o311 is one request to the Open311 endpoint and its answer as a list of
// records (JSON objects, or the XML root's element children flattened to
// name → text, with nested lists kept as nodes).
type o311Answer struct {
	status int
	body   string
	// items hold each record's fields as strings (JSON values are
	// rendered; XML texts are kept), kinds their JSON types ("string",
	// "number", "bool", "array", "null"; "xml" for XML).
	items []map[string]string
	kinds []map[string]string
	root  *node            // XML only
	raw   []map[string]any // JSON only
}

func o311Do(t *testing.T, env *testEnv, format, method, path string, params url.Values, wantRoot, wantItem string) o311Answer {
	t.Helper()
	target := "/open311/v2/" + path + "." + format
	var r *http.Request
	if method == http.MethodPost {
		r = httptest.NewRequest(method, target, strings.NewReader(params.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		if len(params) > 0 {
			target += "?" + params.Encode()
		}
		r = httptest.NewRequest(method, target, nil)
	}
	resp := do(t, env.app, r)
	a := o311Answer{status: resp.StatusCode, body: string(resp.body)}
	ct := resp.Header.Get("Content-Type")
	if format == "xml" {
		if !strings.HasPrefix(ct, "text/xml") || !strings.Contains(ct, "charset=utf-8") {
			t.Fatalf("%s %s: Content-Type %q, want text/xml; charset=utf-8", method, target, ct)
		}
		root := parseXML(t, resp.body)
		a.root = root
		if a.status >= 400 {
			wantRoot, wantItem = "errors", "error"
		}
		if root.Name != wantRoot {
			t.Fatalf("%s %s: XML root <%s>, want <%s>; %s", method, target, root.Name, wantRoot, resp.body)
		}
		items := []*node{root}
		if wantItem != "" {
			items = root.Children
		}
		for _, it := range items {
			if wantItem != "" && it.Name != wantItem {
				t.Fatalf("%s %s: <%s> in <%s>, want <%s>", method, target, it.Name, wantRoot, wantItem)
			}
			m, k := map[string]string{}, map[string]string{}
			for _, f := range it.Children {
				if _, dup := m[f.Name]; dup {
					t.Errorf("%s %s: <%s> twice in one <%s>", method, target, f.Name, it.Name)
				}
				m[f.Name], k[f.Name] = strings.TrimSpace(f.Text), "xml"
			}
			a.items, a.kinds = append(a.items, m), append(a.kinds, k)
		}
		return a
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want application/json", method, target, ct)
	}
	var list []map[string]any
	if wantItem == "" && a.status < 400 {
		var one map[string]any
		resp.json(t, &one)
		list = []map[string]any{one}
	} else {
		resp.json(t, &list) // the specification's lists (and errors) are top-level arrays
	}
	a.raw = list
	for _, obj := range list {
		m, k := map[string]string{}, map[string]string{}
		for name, v := range obj {
			switch x := v.(type) {
			case string:
				m[name], k[name] = x, "string"
			case float64:
				m[name], k[name] = strconv.FormatFloat(x, 'f', -1, 64), "number"
			case bool:
				m[name], k[name] = strconv.FormatBool(x), "bool"
			case nil:
				k[name] = "null"
			case []any:
				k[name] = "array"
			default:
				k[name] = "object"
			}
		}
		a.items, a.kinds = append(a.items, m), append(a.kinds, k)
	}
	return a
}

// fieldSpec says how the specification types one field.
type fieldSpec struct {
	name     string
	kind     string // string, number, bool, int, datetime, array
	required bool
}

// checkFields checks every record has the required fields with the right
// types (the JSON type, or in XML a text that parses as one).
func checkFields(t *testing.T, what string, a o311Answer, specs []fieldSpec) {
	t.Helper()
	for i, item := range a.items {
		for _, s := range specs {
			v, ok := item[s.name]
			kind := a.kinds[i][s.name]
			if kind == "" {
				if s.required {
					t.Errorf("%s: record %d lacks %q; %s", what, i, s.name, a.body)
				}
				continue
			}
			if kind == "array" || s.kind == "array" {
				if a.root == nil && kind != "array" {
					t.Errorf("%s: %q is %s, want an array", what, s.name, kind)
				}
				continue
			}
			if a.root == nil { // JSON types
				want := map[string]string{"string": "string", "datetime": "string", "number": "number", "int": "number", "bool": "bool"}[s.kind]
				if kind != want && !(kind == "null" && !s.required) {
					t.Errorf("%s: %q is a JSON %s, want %s; %s", what, s.name, kind, want, a.body)
				}
			}
			if !ok || (v == "" && !s.required) {
				continue
			}
			switch s.kind {
			case "datetime":
				tm, err := time.Parse(time.RFC3339, v)
				if err != nil || !(strings.HasSuffix(v, "Z") || strings.Contains(v[10:], "+") || strings.Contains(v[10:], "-")) {
					t.Errorf("%s: %q = %q is not an ISO 8601 date-time with a zone", what, s.name, v)
				} else if tm.IsZero() {
					t.Errorf("%s: %q is the zero time", what, s.name)
				}
			case "number":
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Errorf("%s: %q = %q is not a number", what, s.name, v)
				}
			case "int":
				if _, err := strconv.Atoi(v); err != nil {
					t.Errorf("%s: %q = %q is not an integer", what, s.name, v)
				}
			case "bool":
				if v != "true" && v != "false" {
					t.Errorf("%s: %q = %q is not true or false", what, s.name, v)
				}
			}
		}
	}
}

// The fields the specification names for each answer.
var (
	serviceFields = []fieldSpec{{"service_code", "string", true}, {"service_name", "string", true}, {"description", "string", false},
		{"metadata", "bool", true}, {"type", "string", true}, {"keywords", "string", false}, {"group", "string", false}}
	requestFields = []fieldSpec{{"service_request_id", "string", true}, {"status", "string", true}, {"status_notes", "string", false},
		{"service_name", "string", false}, {"service_code", "string", true}, {"description", "string", false},
		{"agency_responsible", "string", false}, {"service_notice", "string", false}, {"requested_datetime", "datetime", true},
		{"updated_datetime", "datetime", false}, {"expected_datetime", "datetime", false}, {"address", "string", false},
		{"address_id", "string", false}, {"zipcode", "string", false}, {"lat", "number", false}, {"long", "number", false},
		{"media_url", "string", false}}
	createdFields = []fieldSpec{{"service_request_id", "string", true}, {"token", "string", false}, {"service_notice", "string", false},
		{"account_id", "string", false}}
	tokenFields     = []fieldSpec{{"service_request_id", "string", true}, {"token", "string", true}}
	errorFields     = []fieldSpec{{"code", "int", true}, {"description", "string", true}}
	discoveryFields = []fieldSpec{{"changeset", "datetime", true}, {"contact", "string", true}, {"key_service", "string", true},
		{"endpoints", "array", true}}
)

// wantO311Error checks an error answer in the specification's format.
func wantO311Error(t *testing.T, what string, a o311Answer, status int, mention string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: got %d, want %d; %s", what, a.status, status, a.body)
	}
	checkFields(t, what, a, errorFields)
	if len(a.items) != 1 || a.items[0]["code"] != strconv.Itoa(status) || !strings.Contains(a.items[0]["description"], mention) {
		t.Fatalf("%s: errors %v, want one with code %d mentioning %q", what, a.items, status, mention)
	}
}

func TestOpen311_Conformance(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		for _, f := range []string{"json", "xml"} {
			t.Run(f, func(t *testing.T) {
				// Discovery lists the jurisdiction and this endpoint.
				d := o311Do(t, env, f, "GET", "discovery", nil, "discovery", "")
				checkFields(t, "discovery", d, discoveryFields)
				var ep map[string]string
				var formats []string
				if f == "xml" {
					e := d.root.child("endpoints").child("endpoint")
					ep = map[string]string{}
					for _, c := range e.Children {
						ep[c.Name] = c.Text
					}
					for _, x := range e.child("formats").Children {
						if x.Name != "format" {
							t.Errorf("<%s> in <formats>, want <format>", x.Name)
						}
						formats = append(formats, x.Text)
					}
				} else {
					b, _ := json.Marshal(d.raw[0]["endpoints"].([]any)[0])
					var e struct {
						Specification, URL, Changeset, Type string
						Formats                             []string
					}
					json.Unmarshal(b, &e)
					ep = map[string]string{"specification": e.Specification, "url": e.URL, "changeset": e.Changeset, "type": e.Type}
					formats = e.Formats
				}
				if ep["specification"] != "http://wiki.open311.org/GeoReport_v2" || !strings.HasSuffix(ep["url"], "/open311/v2") ||
					ep["type"] != "production" || strings.Join(formats, ",") != "text/xml,application/json" || d.items[0]["jurisdiction_id"] != "camau.gov.vn" {
					t.Fatalf("discovery endpoint %v formats %v jurisdiction %q", ep, formats, d.items[0]["jurisdiction_id"])
				}

				// Services: our categories that take reports.
				s := o311Do(t, env, f, "GET", "services", nil, "services", "service")
				checkFields(t, "services", s, serviceFields)
				codes := map[string]bool{}
				for _, it := range s.items {
					codes[it["service_code"]] = true
					if it["type"] != "realtime" {
						t.Errorf("service %s type %q, want realtime", it["service_code"], it["type"])
					}
				}
				if !codes["cap-thoat-nuoc"] || len(s.items) < 5 {
					t.Fatalf("services %v: want the seeded categories", codes)
				}

				// A service definition: its attributes and their values.
				def := o311Do(t, env, f, "GET", "services/cap-thoat-nuoc", nil, "service_definition", "")
				checkFields(t, "service definition", def, []fieldSpec{{"service_code", "string", true}, {"attributes", "array", true}})
				attrs := map[string]map[string]string{}
				var values map[string][]string = map[string][]string{}
				if f == "xml" {
					for _, a := range def.root.child("attributes").Children {
						if a.Name != "attribute" {
							t.Fatalf("<%s> in <attributes>", a.Name)
						}
						m := map[string]string{}
						for _, c := range a.Children {
							m[c.Name] = c.Text
						}
						for _, v := range a.child("values").Children {
							if v.Name != "value" || v.child("key") == nil || v.child("name") == nil {
								t.Fatalf("a value %+v, want <value><key/><name/></value>", v)
							}
							values[m["code"]] = append(values[m["code"]], v.child("key").Text)
						}
						attrs[m["code"]] = m
					}
				} else {
					for _, x := range def.raw[0]["attributes"].([]any) {
						a := x.(map[string]any)
						if _, ok := a["variable"].(bool); !ok {
							t.Fatalf("attribute variable %v, want a bool", a["variable"])
						}
						if _, ok := a["required"].(bool); !ok {
							t.Fatalf("attribute required %v, want a bool", a["required"])
						}
						if _, ok := a["order"].(float64); !ok {
							t.Fatalf("attribute order %v, want a number", a["order"])
						}
						m := map[string]string{"variable": "true", "code": a["code"].(string), "datatype": a["datatype"].(string),
							"required": strconv.FormatBool(a["required"].(bool)), "order": strconv.Itoa(int(a["order"].(float64))), "description": a["description"].(string)}
						for _, v := range a["values"].([]any) {
							values[m["code"]] = append(values[m["code"]], v.(map[string]any)["key"].(string))
						}
						attrs[m["code"]] = m
					}
				}
				for _, code := range []string{"share_contact", "urgent"} {
					a := attrs[code]
					if a == nil || a["datatype"] != "singlevaluelist" || a["required"] != "false" || a["variable"] != "true" ||
						a["description"] == "" || strings.Join(values[code], ",") != "true,false" {
						t.Fatalf("attribute %s = %v values %v", code, a, values[code])
					}
					if _, err := strconv.Atoi(a["order"]); err != nil {
						t.Fatalf("attribute %s order %q", code, a["order"])
					}
				}
				wantO311Error(t, "unknown service", o311Do(t, env, f, "GET", "services/khong-co", nil, "", ""), 404, "service_code")

				// POST: refused without a key or with another jurisdiction;
				// bad input named by its Open311 parameter.
				good := url.Values{"api_key": {testOpen311Key}, "service_code": {"cap-thoat-nuoc"}, "lat": {"9.1769"}, "long": {"105.1524"},
					"address_string": {"Đường Phan Ngọc Hiển, Phường An Xuyên"}, "description": {"Cống thoát nước bị tắc, nước tràn lên mặt đường " + f},
					"email": {"nguoidan@example.vn"}, "phone": {"0912 345 678"}, "first_name": {"Lan"}, "last_name": {"Nguyễn Thị"},
					"device_id": {"phone-" + f}}
				with := func(kv ...string) url.Values { // key, value pairs; an empty value drops the key
					out := url.Values{}
					for key, vs := range good {
						out[key] = vs
					}
					for i := 0; i+1 < len(kv); i += 2 {
						if kv[i+1] == "" {
							out.Del(kv[i])
						} else {
							out.Set(kv[i], kv[i+1])
						}
					}
					return out
				}
				wantO311Error(t, "POST without api_key", o311Do(t, env, f, "POST", "requests", with("api_key", ""), "", ""), 403, "api_key")
				wantO311Error(t, "POST with a wrong api_key", o311Do(t, env, f, "POST", "requests", with("api_key", "nope"), "", ""), 403, "api_key")
				wantO311Error(t, "another jurisdiction", o311Do(t, env, f, "POST", "requests", with("jurisdiction_id", "hanoi.gov.vn"), "", ""), 400, "jurisdiction_id")
				wantO311Error(t, "no service_code", o311Do(t, env, f, "POST", "requests", with("service_code", ""), "", ""), 400, "service_code")
				wantO311Error(t, "address only", o311Do(t, env, f, "POST", "requests", with("lat", "", "long", ""), "", ""), 400, "lat")
				wantO311Error(t, "bad lat", o311Do(t, env, f, "POST", "requests", with("lat", "north"), "", ""), 400, "lat")
				wantO311Error(t, "bad attribute", o311Do(t, env, f, "POST", "requests", with("attribute[urgent]", "maybe"), "", ""), 400, "attribute[urgent]")
				wantO311Error(t, "short description", o311Do(t, env, f, "POST", "requests", with("description", "tắc"), "", ""), 400, "description")

				created := o311Do(t, env, f, "POST", "requests", good, "service_requests", "request")
				if created.status != http.StatusCreated || len(created.items) != 1 {
					t.Fatalf("POST: got %d, want 201 and one request; %s", created.status, created.body)
				}
				checkFields(t, "POST", created, createdFields)
				id := created.items[0]["service_request_id"]
				if !strings.Contains(created.items[0]["service_notice"], "CM-") {
					t.Errorf("service_notice %q, want the tracking code", created.items[0]["service_notice"])
				}

				// Not yet published: status only, no text or place.
				one := o311Do(t, env, f, "GET", "requests/"+id, nil, "service_requests", "request")
				checkFields(t, "GET one", one, requestFields)
				if it := one.items[0]; it["status"] != "open" || it["description"] != "" || it["address"] != "" || one.kinds[0]["lat"] != "" ||
					it["service_code"] != "cap-thoat-nuoc" {
					t.Fatalf("unpublished request shows %v, want status and service only", it)
				}
				tok := o311Do(t, env, f, "GET", "tokens/"+created.items[0]["token"], nil, "service_requests", "request")
				checkFields(t, "token", tok, tokenFields)
				if tok.items[0]["service_request_id"] != id {
					t.Fatalf("token → %v, want %s", tok.items[0], id)
				}
				wantO311Error(t, "unknown token", o311Do(t, env, f, "GET", "tokens/01jzzzzzzzzzzzzzzzzzzzzzzz", nil, "", ""), 404, "")
				wantO311Error(t, "unknown request", o311Do(t, env, f, "GET", "requests/01jzzzzzzzzzzzzzzzzzzzzzzz", nil, "", ""), 404, "")

				// Published (dispatched), then answered: every field.
				move := func(token, action, note string) {
					body := map[string]string{"action": action}
					if note != "" {
						body["note"] = note
					}
					wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", token, body)), http.StatusOK)
				}
				move(coord.AccessToken, "dispatch", "")
				one = o311Do(t, env, f, "GET", "requests/"+id, nil, "service_requests", "request")
				checkFields(t, "GET one published", one, requestFields)
				it := one.items[0]
				if it["status"] != "open" || !strings.Contains(it["description"], "Cống thoát nước bị tắc") || it["lat"] != "9.1769" || it["long"] != "105.1524" ||
					it["agency_responsible"] == "" || it["expected_datetime"] == "" || !strings.HasSuffix(it["requested_datetime"], "+07:00") {
					t.Fatalf("published request %v", it)
				}
				move(water.AccessToken, "accept", "")
				move(water.AccessToken, "resolve", "Đã nạo vét cống "+f)
				one = o311Do(t, env, f, "GET", "requests/"+id, nil, "service_requests", "request")
				checkFields(t, "GET one answered", one, requestFields)
				if it := one.items[0]; it["status"] != "closed" || !strings.Contains(it["status_notes"], "Đã nạo vét cống "+f) {
					t.Fatalf("answered request %v, want closed with the answer", it)
				}

				// The list and its filters.
				list := func(params url.Values) []string {
					t.Helper()
					a := o311Do(t, env, f, "GET", "requests", params, "service_requests", "request")
					if a.status != http.StatusOK {
						t.Fatalf("GET requests?%s: %d %s", params.Encode(), a.status, a.body)
					}
					checkFields(t, "GET requests", a, requestFields)
					var out []string
					for _, it := range a.items {
						out = append(out, it["service_request_id"])
					}
					return out
				}
				if got := list(nil); !contains(got, id) {
					t.Fatalf("the default list %v lacks the published %s", got, id)
				}
				if got := list(url.Values{"status": {"open"}}); contains(got, id) {
					t.Fatalf("status=open lists the closed %s", id)
				}
				if got := list(url.Values{"status": {"closed"}, "service_code": {"cap-thoat-nuoc"}}); !contains(got, id) {
					t.Fatalf("status=closed&service_code lacks %s: %v", id, got)
				}
				if got := list(url.Values{"service_code": {"y-te"}}); contains(got, id) {
					t.Fatalf("service_code=y-te lists %s", id)
				}
				past := url.Values{"start_date": {"2020-01-01T00:00:00+07:00"}, "end_date": {"2020-02-01T00:00:00Z"}}
				if got := list(past); len(got) != 0 {
					t.Fatalf("a past window lists %v", got)
				}
				if got := list(url.Values{"service_request_id": {id + ",01jzzzzzzzzzzzzzzzzzzzzzzz"}, "status": {"open"}}); strings.Join(got, ",") != id {
					t.Fatalf("service_request_id=%s: %v, want it alone (other filters ignored)", id, got)
				}
				wantO311Error(t, "bad status", o311Do(t, env, f, "GET", "requests", url.Values{"status": {"done"}}, "", ""), 400, "status")
				wantO311Error(t, "bad date", o311Do(t, env, f, "GET", "requests", url.Values{"start_date": {"2026-12-01"}}, "", ""), 400, "start_date")
				wantO311Error(t, "long window", o311Do(t, env, f, "GET", "requests",
					url.Values{"start_date": {"2026-01-01T00:00:00Z"}, "end_date": {"2026-06-01T00:00:00Z"}}, "", ""), 400, "end_date")
				wantO311Error(t, "jurisdiction", o311Do(t, env, f, "GET", "requests", url.Values{"jurisdiction_id": {"x"}}, "", ""), 400, "jurisdiction_id")
				if got := list(url.Values{"jurisdiction_id": {"camau.gov.vn"}}); !contains(got, id) {
					t.Fatalf("the right jurisdiction_id lists %v", got)
				}
			})
		}
	})
}

// o311Post submits a report through Open311 (JSON) and returns its ID.
func o311Post(t *testing.T, env *testEnv, params url.Values) string {
	t.Helper()
	base := url.Values{"api_key": {testOpen311Key}, "service_code": {"cap-thoat-nuoc"}, "lat": {"9.1769"}, "long": {"105.1524"},
		"description": {"Cống thoát nước bị tắc, nước tràn lên mặt đường"}}
	for k, v := range params {
		base[k] = v
	}
	a := o311Do(t, env, "json", "POST", "requests", base, "service_requests", "request")
	if a.status != http.StatusCreated {
		t.Fatalf("POST requests: got %d, want 201; %s", a.status, a.body)
	}
	return a.items[0]["service_request_id"]
}

// TestOpen311_Confidentiality: the contact an Open311 client sends reaches
// the agency only with the reporter's consent, and no Open311 answer shows
// personal data.
func TestOpen311_Confidentiality(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		personal := url.Values{"phone": {"0912 345 678"}, "email": {"nguoidan@example.vn"}, "first_name": {"Lan"},
			"last_name": {"Nguyễn Thị Bích"}, "device_id": {"device-of-lan-0001"}}
		hidden := o311Post(t, env, personal)
		shared := url.Values{"attribute[share_contact]": {"true"}}
		for k, v := range personal {
			shared[k] = v
		}
		consented := o311Post(t, env, shared)

		contact := func(token, id string) string {
			t.Helper()
			var out struct {
				ContactPhone string `json:"contact_phone"`
				Anonymous    bool   `json:"anonymous"`
			}
			r := do(t, env.app, req("GET", "/v1/reports/"+id, token, nil))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &out)
			return out.ContactPhone
		}
		if got := contact(coord.AccessToken, hidden); got != "" {
			t.Fatalf("the coordinator sees contact %q without consent", got)
		}
		if got := contact(coord.AccessToken, consented); got != "+84912345678" {
			t.Fatalf("with share_contact=true the coordinator sees %q, want +84912345678", got)
		}
		for _, id := range []string{hidden, consented} {
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
		}
		if got := contact(water.AccessToken, hidden); got != "" {
			t.Fatalf("the agency sees contact %q without consent", got)
		}
		if got := contact(water.AccessToken, consented); got != "+84912345678" {
			t.Fatalf("with consent the agency sees %q, want +84912345678", got)
		}

		// The public Open311 answers never carry it, consent or not.
		for _, f := range []string{"json", "xml"} {
			for _, a := range []o311Answer{
				o311Do(t, env, f, "GET", "requests/"+hidden, nil, "service_requests", "request"),
				o311Do(t, env, f, "GET", "requests/"+consented, nil, "service_requests", "request"),
				o311Do(t, env, f, "GET", "requests", nil, "service_requests", "request"),
				o311Do(t, env, f, "GET", "requests", url.Values{"service_request_id": {hidden + "," + consented}}, "service_requests", "request"),
			} {
				if a.status != http.StatusOK || len(a.items) < 1 {
					t.Fatalf("%s: got %d; %s", f, a.status, a.body)
				}
				for _, leak := range []string{"912345678", "912 345 678", "nguoidan", "Lan", "Bích", "device-of-lan"} {
					if strings.Contains(a.body, leak) {
						t.Fatalf("an Open311 answer (%s) shows %q: %s", f, leak, a.body)
					}
				}
			}
		}

		// The device's guest is not the /v1 guest of the same device ID:
		// signing in with it reaches neither the reports nor their contact.
		var g registered
		do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "device-of-lan-0001"})).json(t, &g)
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+hidden, g.AccessToken, nil)), http.StatusNotFound)
		var mine struct {
			Items []any `json:"items"`
		}
		do(t, env.app, req("GET", "/v1/me/reports", g.AccessToken, nil)).json(t, &mine)
		if len(mine.Items) != 0 {
			t.Fatalf("a /v1 guest with the Open311 device ID lists %d reports, want 0", len(mine.Items))
		}
	})
}

// TestOpen311_Submit covers what POST does beyond the conformance test:
// out-of-scope categories, urgent, media_url, Idempotency-Key.
func TestOpen311_Submit(t *testing.T) {
	env := newEnv(t, "sqlite")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	a := o311Do(t, env, "json", "POST", "requests", url.Values{"api_key": {testOpen311Key}, "service_code": {"khieu-nai-to-cao"},
		"lat": {"9.1769"}, "long": {"105.1524"}, "description": {"Tôi muốn khiếu nại quyết định thu hồi đất"}}, "", "")
	wantO311Error(t, "out-of-scope category", a, 400, "service_code")
	for _, s := range o311Do(t, env, "json", "GET", "services", nil, "services", "service").items {
		if s["service_code"] == "khieu-nai-to-cao" || s["service_code"] == "thu-tuc-hanh-chinh" {
			t.Errorf("out-of-scope %s listed as a service", s["service_code"])
		}
	}

	id := o311Post(t, env, url.Values{"service_code": {"an-ninh-trat-tu"}, "attribute[urgent]": {"true"}, "media_url": {"https://example.org/p/1.jpg"}})
	var rep struct {
		Urgent      bool   `json:"urgent"`
		Description string `json:"description"`
		Anonymous   bool   `json:"anonymous"`
	}
	do(t, env.app, req("GET", "/v1/reports/"+id, coord.AccessToken, nil)).json(t, &rep)
	if !rep.Urgent || !rep.Anonymous || !strings.HasSuffix(rep.Description, "Ảnh: https://example.org/p/1.jpg") {
		t.Fatalf("got %+v, want urgent, anonymous, and the media_url in the description", rep)
	}
	wantO311Error(t, "bad media_url", o311Do(t, env, "xml", "POST", "requests", url.Values{"api_key": {testOpen311Key},
		"service_code": {"cap-thoat-nuoc"}, "lat": {"9.1769"}, "long": {"105.1524"}, "description": {"Cống thoát nước bị tắc nghẽn"},
		"media_url": {"file:///etc/passwd"}}, "", ""), 400, "media_url")
	wantO311Error(t, "not urgent-capable", o311Do(t, env, "xml", "POST", "requests", url.Values{"api_key": {testOpen311Key},
		"service_code": {"gop-y-hien-ke"}, "lat": {"9.1769"}, "long": {"105.1524"}, "description": {"Góp ý mở thêm công viên cây xanh"},
		"attribute[urgent]": {"true"}}, "", ""), 400, "attribute[urgent]")

	// A retry with the same Idempotency-Key gives the same request.
	post := func() string {
		form := url.Values{"api_key": {testOpen311Key}, "service_code": {"cap-thoat-nuoc"}, "lat": {"9.1769"}, "long": {"105.1524"},
			"description": {"Cống thoát nước bị tắc, gửi lại khi mất sóng"}, "device_id": {"retry-device-1"}}
		r := httptest.NewRequest("POST", "/open311/v2/requests.json", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Idempotency-Key", "open311-retry-0001")
		resp := do(t, env.app, r)
		var out []map[string]string
		resp.json(t, &out)
		if resp.StatusCode != http.StatusCreated || len(out) != 1 {
			t.Fatalf("POST with Idempotency-Key: %d %s", resp.StatusCode, resp.body)
		}
		return out[0]["service_request_id"]
	}
	if first, again := post(), post(); first != again {
		t.Fatalf("a retry created %s after %s, want the same request", again, first)
	}
}

// TestOpen311_Paging: page and page_size walk the list without overlap.
func TestOpen311_Paging(t *testing.T) {
	env := newEnv(t, "sqlite")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	var ids []string
	for i := 0; i < 5; i++ {
		id := o311Post(t, env, url.Values{"description": {"Cống thoát nước bị tắc, lần " + strconv.Itoa(i)}})
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
		ids = append([]string{id}, ids...) // newest first
	}
	var got []string
	for page := 1; page <= 3; page++ {
		a := o311Do(t, env, "xml", "GET", "requests", url.Values{"page": {strconv.Itoa(page)}, "page_size": {"2"}}, "service_requests", "request")
		for _, it := range a.items {
			got = append(got, it["service_request_id"])
		}
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("pages of 2 gave %v, want %v", got, ids)
	}
	wantO311Error(t, "past the cap", o311Do(t, env, "json", "GET", "requests", url.Values{"page": {"11"}, "page_size": {"100"}}, "", ""), 400, "page")
	wantO311Error(t, "page_size", o311Do(t, env, "json", "GET", "requests", url.Values{"page_size": {"0"}}, "", ""), 400, "page_size")
}

// TestOpen311_RateLimit: a POST counts as a guest sign-in from its
// address; past the limit the answer is 429 in the specification's format.
func TestOpen311_RateLimit(t *testing.T) {
	env := newEnv(t, "sqlite")
	for i := 0; i < 3; i++ {
		do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "rate-device-" + strconv.Itoa(100000+i)}))
	}
	// The default is 100 in 15 minutes; spend the rest on Open311.
	for i := 3; i < 100; i++ {
		a := o311Do(t, env, "json", "POST", "requests", url.Values{"api_key": {testOpen311Key}}, "", "")
		if a.status != http.StatusBadRequest {
			t.Fatalf("POST %d: got %d, want 400 (counted, then refused as incomplete); %s", i, a.status, a.body)
		}
	}
	r := httptest.NewRequest("POST", "/open311/v2/requests.xml", strings.NewReader(url.Values{"api_key": {testOpen311Key}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := do(t, env.app, r)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("POST 101: got %d Retry-After %q, want 429 with Retry-After; %s", resp.StatusCode, resp.Header.Get("Retry-After"), resp.body)
	}
	root := parseXML(t, resp.body)
	if root.Name != "errors" || root.child("error") == nil || root.child("error").child("code").Text != "429" {
		t.Fatalf("429 body %s, want <errors><error><code>429</code>…", resp.body)
	}
	// The guest door shares the count.
	wantProblem(t, do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "rate-device-999999"})), http.StatusTooManyRequests)
}

// TestOpen311_OutsideClient plays an outside GeoReport v2 client over a real
// listener: the specification's example calls (its POST, a dated open-status
// search, one request, a token), answers decoded into the client's own
// structs, in both formats.
func TestOpen311_OutsideClient(t *testing.T) {
	env := newEnv(t, "sqlite")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go env.app.Listener(ln)
	t.Cleanup(func() { env.app.Shutdown() })
	base := "http://" + ln.Addr().String() + "/open311/v2/"

	type request struct {
		ServiceRequestID  string  `xml:"service_request_id" json:"service_request_id"`
		Token             string  `xml:"token" json:"token"`
		Status            string  `xml:"status" json:"status"`
		ServiceCode       string  `xml:"service_code" json:"service_code"`
		Description       string  `xml:"description" json:"description"`
		RequestedDatetime string  `xml:"requested_datetime" json:"requested_datetime"`
		Lat               float64 `xml:"lat" json:"lat"`
		Long              float64 `xml:"long" json:"long"`
	}
	type serviceRequests struct {
		Requests []request `xml:"request"`
	}
	decode := func(resp *http.Response, f string) []request {
		t.Helper()
		defer resp.Body.Close()
		if f == "xml" {
			var out serviceRequests
			if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatalf("decoding XML: %v", err)
			}
			return out.Requests
		}
		var out []request
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("decoding JSON: %v", err)
		}
		return out
	}
	for _, f := range []string{"xml", "json"} {
		// The specification's POST example, with our service and place.
		form := url.Values{"api_key": {testOpen311Key}, "jurisdiction_id": {"camau.gov.vn"}, "service_code": {"ha-tang-do-thi"},
			"lat": {"9.17690000"}, "long": {"105.15240000"}, "address_string": {"Đường Phan Ngọc Hiển, Phường An Xuyên"},
			"email": {"smit222@example.vn"}, "device_id": {"tt222111"}, "account_id": {"123456"}, "first_name": {"john"},
			"last_name": {"smith"}, "phone": {"111111111"}, "description": {"A large sinkhole is destroying the street"},
			"media_url": {"http://example.org/sinkhole.jpg"}}
		// phone 111111111 is not a valid number here: the client is told so.
		resp, err := http.PostForm(base+"requests."+f, form)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("POST with phone 111111111: got %d, want 400", resp.StatusCode)
		}
		resp.Body.Close()
		form.Set("phone", "+1 415 555 0100")
		resp, err = http.PostForm(base+"requests."+f, form)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST: got %d, want 201", resp.StatusCode)
		}
		created := decode(resp, f)
		if len(created) != 1 || created[0].ServiceRequestID == "" {
			t.Fatalf("POST answered %+v", created)
		}
		id := created[0].ServiceRequestID
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)

		// The dated search with status=open, as in the specification's
		// example, around today.
		now := time.Now().UTC()
		q := url.Values{"start_date": {now.Add(-24 * time.Hour).Format(time.RFC3339)}, "end_date": {now.Add(time.Hour).Format(time.RFC3339)}, "status": {"open"}}
		resp, err = http.Get(base + "requests." + f + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range decode(resp, f) {
			if r.ServiceRequestID == id {
				found = r.Status == "open" && r.ServiceCode == "ha-tang-do-thi" && r.Lat == 9.1769 && r.Long == 105.1524 &&
					strings.HasPrefix(r.Description, "A large sinkhole")
				if _, err := time.Parse(time.RFC3339, r.RequestedDatetime); err != nil {
					t.Fatalf("requested_datetime %q: %v", r.RequestedDatetime, err)
				}
			}
		}
		if !found {
			t.Fatalf("the %s search did not list %s as open with its fields", f, id)
		}
		for _, path := range []string{"requests/" + id, "tokens/" + created[0].Token} {
			resp, err = http.Get(base + path + "." + f + "?jurisdiction_id=camau.gov.vn")
			if err != nil {
				t.Fatal(err)
			}
			if got := decode(resp, f); len(got) != 1 || got[0].ServiceRequestID != id {
				t.Fatalf("GET %s.%s: %+v, want %s", path, f, got, id)
			}
		}
	}
}

// TestOpen311_Unmatched: paths and methods no Open311 route serves still
// answer in the specification's error format.
func TestOpen311_Unmatched(t *testing.T) {
	env := newEnv(t, "sqlite")
	for _, c := range []struct {
		method, path string
		status       int
		xml          bool
		allow        string
	}{
		{"GET", "/open311/v2/nothing.xml", 404, true, ""},
		{"GET", "/open311/v2/requests", 404, false, ""},
		{"DELETE", "/open311/v2/requests.json", 405, false, "GET, HEAD, POST"},
		{"POST", "/open311/v2/services.xml", 405, true, "GET, HEAD"},
		{"PUT", "/open311/v2/requests/01jzzzzzzzzzzzzzzzzzzzzzzz.xml", 405, true, "GET, HEAD"},
	} {
		r := send(t, env.app, httptest.NewRequest(c.method, c.path, nil))
		if r.StatusCode != c.status || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: got %d Allow %q, want %d Allow %q", c.method, c.path, r.StatusCode, r.Header.Get("Allow"), c.status, c.allow)
			continue
		}
		if c.xml {
			root := parseXML(t, r.body)
			if root.Name != "errors" || root.child("error").child("code").Text != strconv.Itoa(c.status) {
				t.Errorf("%s %s: %s, want <errors><error><code>%d", c.method, c.path, r.body, c.status)
			}
			continue
		}
		var out []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		r.json(t, &out)
		if len(out) != 1 || out[0].Code != c.status || out[0].Description == "" {
			t.Errorf("%s %s: %s, want [{code: %d, description}]", c.method, c.path, r.body, c.status)
		}
	}
}

// TestClientGuest: one guest per client and device, apart from the /v1
// guests of the same device ID.
func TestClientGuest(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		id := func(client, device string) string {
			t.Helper()
			u, err := env.ids.ClientGuest(ctx, client, device)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != "guest" {
				t.Fatalf("ClientGuest role %q, want guest", u.Role)
			}
			return u.ID
		}
		a := id("open311 k1", "device-0001")
		if again := id("open311 k1", "device-0001"); again != a {
			t.Fatalf("the same client and device gave %s then %s", a, again)
		}
		if id("open311 k1", "device-0002") == a || id("open311 k2", "device-0001") == a || id("open311 k1", "") == a {
			t.Fatal("another device or client got the same guest")
		}
		v1, err := env.ids.Guest(ctx, identity.Principal{}, identity.GuestInput{DeviceID: "device-0001", Locale: "vi"})
		if err != nil {
			t.Fatal(err)
		}
		if v1.User.ID == a {
			t.Fatal("POST /v1/auth/guest with the device ID reached the client's guest")
		}
	})
}
