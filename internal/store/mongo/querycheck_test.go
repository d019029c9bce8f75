package mongo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// queryMethods are the driver calls that read or write by a filter; a
// query that is not by _id alone must name the index that serves it.
var queryMethods = map[string]bool{"Find": true, "FindOne": true, "Aggregate": true, "CountDocuments": true, "Distinct": true,
	"DeleteMany": true, "DeleteOne": true, "UpdateMany": true, "UpdateOne": true, "ReplaceOne": true, "FindOneAndUpdate": true,
	"FindOneAndDelete": true, "findAll": true, "find": true}

// forwarders pass their caller's query on: their callers are checked.
var forwarders = map[string]bool{"findAll": true, "find": true}

// TestEveryQueryDeclaresItsIndex reads the store's source: every query
// (find, count, aggregate, update or delete by a filter) that is not by _id
// must name a declared index (an ix… variable made by servedBy, or
// feedIndex/queueIndex/usersIndex, which choose among declared ones), in its
// arguments (a hint) or in a comment on its line or the line above
// ("// index: ixName"). TestDeclaredIndexes then checks each declared
// index exists on the server with its key order and directions, so a new
// query without an index fails here, not in production.
func TestEveryQueryDeclaresItsIndex(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	declared := map[string]bool{"feedIndex": true, "queueIndex": true, "usersIndex": true}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) && strings.HasPrefix(n.Name, "ix") && callsServedBy(vs.Values[i]) {
						declared[n.Name] = true
					}
				}
			}
		}
	}
	named := regexp.MustCompile(`\b(ix[A-Z]\w*|feedIndex|queueIndex|usersIndex)\b`)
	var undeclared []string
	checked := 0
	for _, f := range files {
		comments := map[int]string{} // line → comment text
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				comments[fset.Position(c.Pos()).Line] += c.Text
			}
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || forwarders[fn.Name.Name] {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				method, filterArg := "", 1
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					if pkg, ok := f.X.(*ast.Ident); ok && pkg.Name == "options" {
						return true // options.Find() builds options
					}
					method = f.Sel.Name
				case *ast.IndexListExpr:
					if id, ok := f.X.(*ast.Ident); ok {
						method = id.Name
					}
				case *ast.Ident:
					method = f.Name
				}
				if !queryMethods[method] {
					return true
				}
				if method == "findAll" {
					filterArg = 2
				}
				if method == "Distinct" {
					filterArg = 2
				}
				checked++
				if filterArg < len(call.Args) && byIDOnly(call.Args[filterArg]) {
					return true
				}
				ok = false
				ast.Inspect(call, func(n ast.Node) bool {
					if id, isID := n.(*ast.Ident); isID && declared[id.Name] {
						ok = true
					}
					return !ok
				})
				line := fset.Position(call.Pos()).Line
				for _, l := range []int{line, line - 1} {
					for _, m := range named.FindAllString(comments[l], -1) {
						ok = ok || declared[m]
					}
				}
				if !ok {
					undeclared = append(undeclared, fset.Position(call.Pos()).String()+" "+fn.Name.Name+": "+method)
				}
				return true
			})
		}
	}
	if checked < 40 {
		t.Fatalf("checked %d queries: the source scan is broken", checked)
	}
	sort.Strings(undeclared)
	if len(undeclared) > 0 {
		t.Fatalf("%d queries name no declared index (hint with an ix… variable from servedBy, or a comment \"// index: ixName\"):\n%s",
			len(undeclared), strings.Join(undeclared, "\n"))
	}
}

// callsServedBy reports an initializer that declares indexes with servedBy.
func callsServedBy(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "servedBy" {
				found = true
			}
		}
		return !found
	})
	return found
}

// byIDOnly reports a filter literal whose first key is _id: a lookup by
// the primary key, which every collection indexes.
func byIDOnly(e ast.Expr) bool {
	lit, ok := e.(*ast.CompositeLit)
	if !ok || len(lit.Elts) == 0 {
		return false
	}
	first, ok := lit.Elts[0].(*ast.CompositeLit)
	if !ok || len(first.Elts) == 0 {
		return false
	}
	kv, ok := first.Elts[0].(*ast.KeyValueExpr)
	if !ok {
		return false
	}
	s, ok := kv.Value.(*ast.BasicLit)
	return ok && s.Value == `"_id"`
}
