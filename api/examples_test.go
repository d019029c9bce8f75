package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"camaug/api"
	"camaug/internal/identity"
	apidocs "camaug/mobile-api-docs"
)

// jsonMedia are the media types whose examples are checked against their
// schema; the others (CSV, XLSX, images, HTML, YAML, XML) are shown as text.
func jsonMedia(mt string) bool {
	return strings.HasSuffix(mt, "json") || mt == "multipart/form-data" || mt == "application/x-www-form-urlencoded"
}

// TestOpenAPI_Examples: every operation of mobile-api-docs/openapi.yaml
// has a request example (when it takes a body) and an example for each
// documented response with a body, and every example is valid against
// its schema. The failure lists exactly what is missing or wrong, by
// operation, so an operation added on another branch is easy to complete.
func TestOpenAPI_Examples(t *testing.T) {
	doc, err := libopenapi.NewDocument(apidocs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	sv := schema_validation.NewSchemaValidator()
	var missing, invalid []string
	checked := 0
	check := func(where string, content *orderedmap.Map[string, *v3.MediaType]) {
		for mt, m := range content.FromOldest() {
			var values []*yaml.Node
			if m.Example != nil {
				values = append(values, m.Example)
			}
			if m.Examples != nil {
				for _, ex := range m.Examples.FromOldest() {
					values = append(values, ex.Value)
				}
			}
			if len(values) == 0 {
				missing = append(missing, where+" "+mt)
				continue
			}
			if !jsonMedia(mt) || m.Schema == nil {
				continue
			}
			for _, v := range values {
				checked++
				if msg := validateExample(sv, m.Schema, v); msg != "" {
					invalid = append(invalid, where+" "+mt+": "+msg)
				}
			}
		}
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			name := fmt.Sprintf("%s %s (%s)", strings.ToUpper(method), path, op.OperationId)
			if op.RequestBody != nil {
				check(name+" request", op.RequestBody.Content)
			}
			if op.Responses == nil {
				continue
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				if r.Content != nil {
					check(name+" response "+code, r.Content)
				}
			}
			if r := op.Responses.Default; r != nil && r.Content != nil {
				check(name+" response default", r.Content)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(invalid)
	if len(missing) > 0 {
		t.Errorf("%d bodies have no example (add `example:` under each):\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(invalid) > 0 {
		t.Errorf("%d examples break their schema:\n  %s", len(invalid), strings.Join(invalid, "\n  "))
	}
	if checked < 100 {
		t.Errorf("only %d examples were checked against a schema", checked)
	}
}

func validateExample(sv schema_validation.SchemaValidator, proxy *base.SchemaProxy, v *yaml.Node) string {
	var value any
	if err := v.Decode(&value); err != nil {
		return "cannot decode: " + err.Error()
	}
	b, err := json.Marshal(value)
	if err != nil {
		return "not JSON: " + err.Error()
	}
	schema := proxy.Schema()
	if schema == nil {
		return "its schema does not resolve"
	}
	ok, errs := sv.ValidateSchemaBytes(schema, b)
	if ok {
		return ""
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
		for _, se := range e.SchemaValidationErrors {
			msgs = append(msgs, se.FieldPath+": "+se.Reason)
		}
	}
	return strings.Join(msgs, "; ")
}

var documentedType = regexp.MustCompile("(?m)^\\| `(urn:camaug:problem:[a-z-]+)` \\|")

// TestProblemTypes_Documented: every problem type the API can answer with
// is in the document's table of problem types, and the table lists no
// other; and a 409 names its kind (a taken phone is not a stale version).
func TestProblemTypes_Documented(t *testing.T) {
	doc, err := libopenapi.NewDocument(apidocs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range documentedType.FindAllStringSubmatch(model.Model.Info.Description, -1) {
		listed = append(listed, m[1])
	}
	sort.Strings(listed)
	emitted := api.ProblemTypes()
	for _, ty := range emitted {
		if !slices.Contains(listed, ty) {
			t.Errorf("the API can answer with %s, which the document's table of problem types lacks", ty)
		}
	}
	for _, ty := range listed {
		if !slices.Contains(emitted, ty) {
			t.Errorf("the document lists %s, which the API never answers with", ty)
		}
	}
	if len(listed) != len(emitted) {
		t.Errorf("the table lists %d types, the API has %d (a type listed twice?)", len(listed), len(emitted))
	}

	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	coord := staff(t, env, identity.RoleCoordinator, "dieuphoi@camau.gov.vn", "")
	var rep reportResp
	created := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport()))
	wantStatus(t, created, http.StatusCreated)
	created.json(t, &rep)
	for _, c := range []struct {
		what string
		r    *http.Request
		want string
	}{
		{"a taken phone", req("POST", "/v1/auth/register", "", map[string]string{"phone": "0912345678", "password": "khac-2026-abc", "name": "Trần Văn B"}), "already-exists"},
		{"a rating before the answer", req("POST", "/v1/reports/"+rep.ID+"/rating", cit.AccessToken, map[string]any{"score": 5}), "wrong-state"},
		{"a step on a stale version", req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken, map[string]any{"action": "dispatch", "expected_version": 99}), "concurrent-change"},
	} {
		r := do(t, env.app, c.r)
		if p := wantProblem(t, r, http.StatusConflict); p.Type != api.ProblemTypePrefix+c.want {
			t.Errorf("%s: type %q, want %q", c.what, p.Type, api.ProblemTypePrefix+c.want)
		}
	}
}
